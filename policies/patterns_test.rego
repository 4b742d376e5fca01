package mcp_warden_test

import rego.v1

import data.mcp_warden

# pattern_match must mean exactly glob.match(p, null, s), with or without the load-time index.
pattern_cases := [
	["get-env", "get-env"], ["get-env", "get-envx"], ["get-env", "GET-ENV"], ["", ""], ["", "x"],
	["trigger-*", "trigger-long"], ["trigger-*", "trigger-"], ["trigger-*", "xtrigger-a"],
	["*", ""], ["*", "a/b.c"], ["demo://resource/*", "demo://resource/static/a.md"],
	["demo://resource/*", "demo://other/a"], ["read_*", "read_file"], ["*_file", "read_file"],
	["get-?", "get-x"], ["get-?", "get-xy"], ["[ab]c", "bc"], ["[!ab]c", "bc"], ["{a,b}*", "bz"],
	["a**", "a.b/c"], ["a\\*", "a*"], ["a\\*", "ab"], ["a]b", "a]b"], ["a}b", "a}b"], ["x*y*", "xay"],
	["ünï*", "ünïcode"], ["ünï*", "unicode"],
]

test_pattern_match_is_glob_match if {
	every c in pattern_cases {
		[p, s] := c
		expected := glob.match(p, null, s)
		expected == pattern_matched(p, s)
		index := mcp_warden.pattern_index with data.warden as {"resources": [p]}
		expected == pattern_matched(p, s) with data.warden_index.patterns as index
	}
}

pattern_matched(p, s) if mcp_warden.pattern_match(p, s)

else := false

test_pattern_shapes if {
	mcp_warden.pattern_shape("get-env") == {"literal": "get-env"}
	mcp_warden.pattern_shape("trigger-*") == {"prefix": "trigger-"}
	mcp_warden.pattern_shape("*") == {"prefix": ""}
	mcp_warden.pattern_shape("a?*") == {"glob": "a?*"}
	mcp_warden.pattern_shape("*_file") == {"glob": "*_file"}
	mcp_warden.pattern_shape("a\\*") == {"glob": "a\\*"}
}

test_pattern_index_covers_keys_values_and_lower_case if {
	index := mcp_warden.pattern_index with data.warden as {"tools": {"Get-*": "deny"}, "upstreams": {"u": {"prompts": ["p"]}}}
	index["Get-*"] == {"prefix": "Get-"}
	index["get-*"] == {"prefix": "get-"}
	index.p == {"literal": "p"}
}

# A pattern the index does not know (say, data changed without a reload) is still matched right.
test_pattern_missing_from_index_is_worked_out if {
	mcp_warden.pattern_match("x-*", "x-1") with data.warden_index.patterns as {}
}

test_non_string_never_matches if {
	not mcp_warden.pattern_match(5, 5)
	not mcp_warden.pattern_match("*", 5)
}

# As in wasm's glob.match, `*` does not match a line break: `safe-*` does not allow "safe-\nrm".
test_prefix_does_not_cross_a_line_break if {
	not mcp_warden.pattern_match("safe-*", "safe-\nrm")
	not mcp_warden.pattern_match("*", "a\n")
	mcp_warden.pattern_match("safe-*", "safe-rm")
}
