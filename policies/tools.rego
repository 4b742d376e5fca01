# Tool rules: operator verdicts (read | write | deny) by name or glob, per upstream and global;
# argument constraints; the write allowlist of edit mode.
package mcp_warden

import rego.v1

upstream := object.get(object.get(input, "request", {}), "upstream", "")

upstream_cfg := object.get(object.get(cfg, "upstreams", {}), upstream, {})

tool := object.get(input, "tool", {})

tool_name := object.get(tool, "name", "")

# The name folded by the PEP (NFKC, lookalikes, case, invisible characters), so that a variant of a
# denied name is denied too, whatever the upstream makes of it.
tool_canonical := object.get(tool, "canonical_name", lower(tool_name))

is_glob(p) if contains(p, "*")

is_glob(p) if contains(p, "?")

is_glob(p) if contains(p, "[")

is_glob(p) if contains(p, "{")

exact_hit(p, name, canonical) if p == name

exact_hit(p, name, canonical) if lower(p) == canonical

glob_hit(p, name, canonical) if pattern_match(p, name)

# Only when folding changed the name: a glob that is not a literal or a prefix costs a
# compilation per call in wasm (see patterns.rego).
glob_hit(p, name, canonical) if {
	canonical != name
	pattern_match(lower(p), canonical)
}

exact_verdicts(rules) := {v | some p, v in rules; not is_glob(p); exact_hit(p, tool_name, tool_canonical)}

glob_verdicts(rules) := {v | some p, v in rules; is_glob(p); glob_hit(p, tool_name, tool_canonical)}

# Several matches at one level: the strictest wins.
strictest(vs) := "deny" if "deny" in vs

else := "write" if "write" in vs

else := "read" if "read" in vs

upstream_tool_rules := object.get(upstream_cfg, "tools", {})

global_tool_rules := object.get(cfg, "tools", {})

# First level with a match wins: upstream exact, upstream glob, global exact, global glob.
# (Each level's matches are computed once into a local: wasm does not memoise function calls.)
tool_rule := r if {
	vs := exact_verdicts(upstream_tool_rules)
	count(vs) > 0
	r := strictest(vs)
} else := r if {
	vs := glob_verdicts(upstream_tool_rules)
	count(vs) > 0
	r := strictest(vs)
} else := r if {
	vs := exact_verdicts(global_tool_rules)
	count(vs) > 0
	r := strictest(vs)
} else := r if {
	vs := glob_verdicts(global_tool_rules)
	count(vs) > 0
	r := strictest(vs)
}

tool_denied if tool_rule == "deny"

# The operator's rule wins over what the PEP derived from annotations; unknown counts as write.
tool_class := tool_rule if {
	tool_rule in {"read", "write"}
	object.get(tool, "definition", "approved") != "changed"
} else := object.get(tool, "class", "unknown")

definition_changed if object.get(tool, "definition", "") == "changed"

# --- per-principal grants: tools this principal may call outside edit mode ---
granted_tool if {
	some p in object.get(grant, "tools", [])
	pattern_match(p, tool_name)
}

# --- edit mode and its allowlist ---
edit_on if object.get(object.get(input, "mode", {}), "edit", false) == true

edit_on if object.get(cfg, "edit_mode", false) == true

write_allowlist := object.get(upstream_cfg, "write_allowlist", object.get(cfg, "write_allowlist", []))

write_approved if count(write_allowlist) == 0

write_approved if {
	some p in write_allowlist
	pattern_match(p, tool_name)
}

# --- argument constraints ---
params := p if {
	p := object.get(object.get(input, "message", {}), "params", {})
	is_object(p)
} else := {}

arguments := object.get(params, "arguments", {})

arguments_malformed if not is_object(arguments)

arg_rules(level) := {c | some p, c in object.get(level, "arguments", {}); pattern_match(p, tool_name)}

arg_constraint_sets := arg_rules(upstream_cfg) | arg_rules(cfg)

arguments_violated if {
	some constraints in arg_constraint_sets
	some arg, c in constraints
	violates(object.get(arguments, arg, null), c)
}

required(c) if object.get(c, "required", true) == true

violates(v, c) if {
	v == null
	required(c)
}

violates(v, c) if {
	v != null
	enum := object.get(c, "enum", null)
	enum != null
	not v in enum
}

prefixes(c) := {x | x := c.prefix; is_string(x)} | {x | some x in object.get(c, "prefix", []); is_string(x)}

violates(v, c) if {
	v != null
	count(prefixes(c)) > 0
	not is_string(v)
}

violates(v, c) if {
	v != null
	count(prefixes(c)) > 0
	is_string(v)
	not has_prefix(v, prefixes(c))
}

# A prefix rule is about a place: a ".." anywhere could climb out of it.
violates(v, c) if {
	count(prefixes(c)) > 0
	is_string(v)
	contains(v, "..")
}

has_prefix(v, ps) if {
	some p in ps
	startswith(v, p)
}

violates(v, c) if {
	v != null
	pattern := object.get(c, "pattern", null)
	pattern != null
	not string_matches(v, pattern)
}

string_matches(v, pattern) if {
	is_string(v)
	regex.match(concat("", ["^(?:", pattern, ")$"]), v)
}

violates(v, c) if {
	v != null
	max := object.get(c, "max_length", null)
	max != null
	not short_enough(v, max)
}

short_enough(v, max) if {
	is_string(v)
	count(v) <= max
}
