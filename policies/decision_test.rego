package mcp_warden_test

import rego.v1

import data.mcp_warden

base_data := {
	"tools": {"get-env": "deny", "echo": "read", "danger-*": "deny"},
	"upstreams": {
		"everything": {
			"tools": {"trigger-*": "write", "get-sum": "read"},
			"resources": ["demo://resource/static/document/*"],
			"prompts": ["simple-*"],
			"server_requests": {"sampling/createMessage": "allow"},
		},
		"fs": {
			"write_allowlist": ["write_file"],
			"arguments": {"read_*": {"path": {"prefix": ["/srv/data/"], "max_length": 100}}},
		},
	},
	"role_map": {"sre": "operator", "mcp-admins": ["admin"]},
	"role_claims": ["groups"],
	"principals": {"bob": {"roles": ["operator"], "tools": ["special"]}},
	"redaction": {
		"types": ["EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN"],
		"exempt": [
			{"roles": ["admin"], "types": "*"},
			{"tools": ["get-sum"], "types": ["CREDIT_CARD"]},
		],
	},
}

viewer := {"id": "anonymous", "auth": "anonymous", "roles": ["viewer"], "scopes": [], "claims": {}}

operator := {"id": "alice", "auth": "jwt", "roles": ["sre"], "scopes": [], "claims": {}}

admin := {"id": "root", "auth": "jwt", "roles": [], "scopes": [], "claims": {"groups": ["mcp-admins"]}}

nobody := {"id": "eve", "auth": "jwt", "roles": ["guest"], "scopes": [], "claims": {}}

call(p, upstream, name, class, args, edit) := {
	"principal": p,
	"request": {"transport": "streamable-http", "upstream": upstream},
	"message": {"direction": "to_server", "kind": "request", "method": "tools/call", "id": 1, "params": {"name": name, "arguments": args}},
	"tool": {"name": name, "canonical_name": lower(name), "class": class, "annotations": {}, "pinned": true, "definition": "approved"},
	"mode": {"edit": edit, "edit_expires_at": null},
}

msg(p, upstream, direction, kind, method, params) := {
	"principal": p,
	"request": {"transport": "streamable-http", "upstream": upstream},
	"message": {"direction": direction, "kind": kind, "method": method, "id": 1, "params": params},
	"mode": {"edit": false, "edit_expires_at": null},
}

# Every decision is taken twice, with the pattern index mcp-warden computes at load time and
# without it (shapes worked out per call); the two must agree or the test fails.
decide(doc) := d if {
	d := mcp_warden.decision with input as doc with data.warden as base_data
	index := mcp_warden.pattern_index with data.warden as base_data
	d == mcp_warden.decision with input as doc with data.warden as base_data with data.warden_index.patterns as index
}

# --- roles ---
test_no_role_denies_everything if {
	d := decide(msg(nobody, "everything", "to_server", "request", "initialize", {}))
	d.allow == false
	d.rule == "principal.no_role"
}

test_viewer_may_initialize if decide(msg(viewer, "everything", "to_server", "request", "initialize", {})).allow

test_role_map_and_claims if {
	mcp_warden.roles == {"operator"} with input as {"principal": operator} with data.warden as base_data
	mcp_warden.roles == {"admin"} with input as {"principal": admin} with data.warden as base_data
	mcp_warden.roles == {"operator"} with input as {"principal": {"id": "bob", "roles": []}} with data.warden as base_data
}

test_unknown_roles_are_ignored if {
	mcp_warden.roles == set() with input as {"principal": {"id": "x", "roles": ["root", "superuser"]}} with data.warden as base_data
}

# --- read-only by default ---
test_read_tool_allowed_for_viewer if {
	d := decide(call(viewer, "everything", "echo", "write", {"message": "hi"}, false))
	d.allow
	d.rule == "tools.read"
}

test_annotated_read_tool_allowed if decide(call(viewer, "everything", "get-tiny-image", "read", {}, false)).allow

test_write_tool_refused_outside_edit_mode if {
	d := decide(call(operator, "everything", "trigger-long-running-operation", "read", {}, false))
	not d.allow
	d.rule == "tools.write_blocked"
}

test_unknown_tool_is_a_write if {
	d := decide(call(operator, "everything", "never-listed", "unknown", {}, false))
	not d.allow
	d.rule == "tools.write_blocked"
}

test_write_allowed_in_edit_mode_for_operator if {
	d := decide(call(operator, "everything", "trigger-long-running-operation", "write", {}, true))
	d.allow
	d.rule == "tools.write"
}

test_viewer_may_not_write_even_in_edit_mode if {
	d := decide(call(viewer, "everything", "toggle-logging", "write", {}, true))
	not d.allow
	d.rule == "tools.write_role"
}

test_write_allowlist_narrows_edit_mode if {
	decide(call(operator, "fs", "write_file", "write", {}, true)).allow
	d := decide(call(operator, "fs", "move_file", "write", {}, true))
	not d.allow
	d.rule == "tools.write_not_approved"
}

test_edit_mode_from_data if {
	d := mcp_warden.decision with input as call(operator, "everything", "toggle-logging", "write", {}, false)
		with data.warden as object.union(base_data, {"edit_mode": true})
	d.allow
}

# --- deny rules, name variants ---
test_denied_tool_refused_even_for_admin_in_edit_mode if {
	d := decide(call(admin, "everything", "get-env", "read", {}, true))
	not d.allow
	d.rule == "tools.denied"
}

test_denied_tool_case_variant_refused if {
	d := decide(call(admin, "everything", "GET-ENV", "unknown", {}, true))
	not d.allow
	d.rule == "tools.denied"
}

test_denied_tool_canonical_variant_refused if {
	# the PEP folds lookalikes and invisible characters into canonical_name
	doc := json.patch(call(admin, "everything", "get\u200b-env", "unknown", {}, true), [{"op": "replace", "path": "/tool/canonical_name", "value": "get-env"}])
	d := decide(doc)
	not d.allow
	d.rule == "tools.denied"
}

test_glob_deny if not decide(call(admin, "everything", "danger-zone", "write", {}, true)).allow

test_upstream_rule_beats_global if {
	# get-sum is read for everything, no rule elsewhere: a write on another upstream
	decide(call(viewer, "everything", "get-sum", "write", {}, false)).allow
	not decide(call(viewer, "other", "get-sum", "write", {}, false)).allow
}

test_exact_beats_glob if {
	d := mcp_warden.decision with input as call(viewer, "everything", "echo", "write", {}, false)
		with data.warden as {"tools": {"*": "deny", "echo": "read"}}
	d.allow
	e := mcp_warden.decision with input as call(viewer, "everything", "other", "read", {}, false)
		with data.warden as {"tools": {"*": "deny", "echo": "read"}}
	not e.allow
}

test_changed_definition_refused if {
	doc := json.patch(call(admin, "everything", "echo", "unknown", {}, true), [{"op": "replace", "path": "/tool/definition", "value": "changed"}])
	d := decide(doc)
	not d.allow
	d.rule == "tools.definition_changed"
}

test_missing_tool_refused if {
	d := decide(msg(viewer, "everything", "to_server", "request", "tools/call", {"name": "echo"}))
	not d.allow
}

test_principal_grant if {
	bob := {"id": "bob", "roles": []}
	decide(call(bob, "everything", "special", "write", {}, false)).allow
}

# --- argument constraints ---
test_argument_prefix if {
	decide(call(viewer, "fs", "read_file", "read", {"path": "/srv/data/a.txt"}, false)).allow
	d := decide(call(viewer, "fs", "read_file", "read", {"path": "/etc/passwd"}, false))
	not d.allow
	d.rule == "tools.arguments"
}

test_argument_dotdot_refused if not decide(call(viewer, "fs", "read_file", "read", {"path": "/srv/data/../../etc/passwd"}, false)).allow

test_argument_missing_refused if not decide(call(viewer, "fs", "read_file", "read", {}, false)).allow

test_argument_non_string_refused if not decide(call(viewer, "fs", "read_file", "read", {"path": ["/srv/data/x"]}, false)).allow

test_argument_too_long_refused if {
	long := concat("", ["/srv/data/", concat("", [x | some i in numbers.range(1, 100); x := "a"])])
	not decide(call(viewer, "fs", "read_file", "read", {"path": long}, false)).allow
}

test_arguments_not_an_object_refused if not decide(call(viewer, "everything", "echo", "read", ["x"], false)).allow

test_argument_pattern_and_enum if {
	data_ := {"tools": {"t": "read"}, "arguments": {"t": {"mode": {"enum": ["a", "b"]}, "id": {"pattern": "[0-9]+", "required": false}}}}
	mcp_warden.decision.allow with input as call(viewer, "u", "t", "read", {"mode": "a", "id": "42"}, false) with data.warden as data_
	not mcp_warden.decision.allow with input as call(viewer, "u", "t", "read", {"mode": "c"}, false) with data.warden as data_
	not mcp_warden.decision.allow with input as call(viewer, "u", "t", "read", {"mode": "a", "id": "42x"}, false) with data.warden as data_
	mcp_warden.decision.allow with input as call(viewer, "u", "t", "read", {"mode": "b"}, false) with data.warden as data_
}

test_listing_ignores_arguments if {
	doc := object.union(call(viewer, "fs", "read_file", "read", {}, false), {"listing": true})
	decide(doc).allow
}

# --- resources, prompts, completion ---
test_resource_by_uri if {
	decide(msg(viewer, "everything", "to_server", "request", "resources/read", {"uri": "demo://resource/static/document/a.md"})).allow
	not decide(msg(viewer, "everything", "to_server", "request", "resources/read", {"uri": "file:///etc/passwd"})).allow
	not decide(msg(viewer, "fs", "to_server", "request", "resources/read", {"uri": "demo://resource/static/document/a.md"})).allow
}

test_prompt_by_name if {
	decide(msg(viewer, "everything", "to_server", "request", "prompts/get", {"name": "simple-prompt"})).allow
	not decide(msg(viewer, "everything", "to_server", "request", "prompts/get", {"name": "complex-prompt"})).allow
}

test_completion_follows_prompt_rules if {
	decide(msg(viewer, "everything", "to_server", "request", "completion/complete", {"ref": {"type": "ref/prompt", "name": "simple-x"}})).allow
	not decide(msg(viewer, "everything", "to_server", "request", "completion/complete", {"ref": {"type": "ref/prompt", "name": "hidden"}})).allow
}

test_unknown_method_denied if not decide(msg(admin, "everything", "to_server", "request", "tasks/result", {})).allow

test_method_case_variant_denied if not decide(msg(admin, "everything", "to_server", "request", "Tools/Call", {"name": "echo"})).allow

# --- server → client ---
test_server_requests_per_upstream if {
	decide(msg(viewer, "everything", "to_client", "request", "sampling/createMessage", {})).allow
	not decide(msg(viewer, "everything", "to_client", "request", "elicitation/create", {})).allow
	not decide(msg(viewer, "fs", "to_client", "request", "sampling/createMessage", {})).allow
	not decide(msg(viewer, "everything", "to_client", "request", "weird/method", {})).allow
}

test_server_notifications_and_responses_pass if {
	decide(msg(viewer, "everything", "to_client", "notification", "notifications/message", {})).allow
	decide(msg(viewer, "everything", "to_client", "response", "", {})).allow
}

# --- redaction ---
test_redaction_all_types_by_default if {
	decide(call(viewer, "everything", "echo", "read", {}, false)).redact == ["EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN"]
}

test_redaction_exempt_role if decide(call(admin, "everything", "echo", "read", {}, false)).redact == []

test_redaction_exempt_tool if {
	decide(call(viewer, "everything", "get-sum", "read", {}, false)).redact == ["EMAIL_ADDRESS", "US_SSN"]
}

test_decision_shape if {
	d := decide(call(viewer, "everything", "echo", "read", {}, false))
	is_boolean(d.allow)
	is_string(d.reason)
	is_string(d.rule)
	is_array(d.redact)
	d.audit.level == "full"
}

test_no_data_is_read_only if {
	d := mcp_warden.decision with input as call(viewer, "x", "t", "read", {}, false) with data.warden as {}
	d.allow
	e := mcp_warden.decision with input as call(admin, "x", "t", "write", {}, false) with data.warden as {}
	not e.allow
}
