# The decision entrypoint of mcp-warden's default policy: mcp_warden/decision.
#
# Deny by default; read-only by default; writes only in edit mode, for a role that may write, and
# only for approved write tools. Everything is driven by data.warden (config policy.data); see
# docs/policy.md. List replies are filtered by evaluating this same entrypoint per listed item
# (input.listing = true), so what a client sees is what it can call.
package mcp_warden

import rego.v1

message := object.get(input, "message", {})

method := object.get(message, "method", "")

kind := object.get(message, "kind", "")

direction := object.get(message, "direction", "")

listing if object.get(input, "listing", false) == true

# Methods that carry no tool, resource or prompt of their own (the plumbing of a session).
protocol_methods := {
	"initialize", "ping", "server/discover",
	"notifications/initialized", "notifications/cancelled", "notifications/progress",
	"notifications/roots/list_changed",
	"tools/list", "prompts/list", "resources/list", "resources/templates/list",
	"logging/setLevel",
}

resource_methods := {"resources/read", "resources/subscribe", "resources/unsubscribe"}

server_request_methods := {"sampling/createMessage", "elicitation/create", "roots/list"}

deny(rule, reason) := {"allow": false, "rule": rule, "reason": reason}

permit(rule, reason) := {"allow": true, "rule": rule, "reason": reason}

# --- resources and prompts ---
resource_uri := object.get(params, "uri", "")

resource_patterns := {p | some p in object.get(upstream_cfg, "resources", [])} | {p | some p in object.get(cfg, "resources", [])}

resource_allowed(uri) if {
	is_string(uri)
	some p in resource_patterns
	pattern_match(p, uri)
}

prompt_patterns := {p | some p in object.get(upstream_cfg, "prompts", [])} | {p | some p in object.get(cfg, "prompts", [])}

prompt_allowed(name) if {
	is_string(name)
	some p in prompt_patterns
	pattern_match(p, name)
}

completion_ref := object.get(params, "ref", {})

completion_allowed if {
	completion_ref.type == "ref/prompt"
	prompt_allowed(completion_ref.name)
}

completion_allowed if {
	completion_ref.type == "ref/resource"
	resource_allowed(completion_ref.uri)
}

# --- server → client requests, per upstream (upstream setting wins over the global one) ---
server_request_setting := object.get(
	object.get(upstream_cfg, "server_requests", {}), method,
	object.get(object.get(cfg, "server_requests", {}), method, "deny"),
)

# --- the verdict: the first matching line decides ---
verdict := deny("principal.no_role", "principal has no warden role") if {
	count(roles) == 0
} else := verdict_to_client if {
	direction == "to_client"
} else := verdict_to_server if {
	direction == "to_server"
} else := deny("message.direction", "unknown message direction")

verdict_to_client := permit("client.response", "response to an allowed request") if {
	kind == "response"
} else := permit("server.notification", "server notification") if {
	kind == "notification"
} else := permit("server.ping", "server ping") if {
	method == "ping"
} else := permit("server_request.allowed", concat("", [method, " allowed for upstream ", upstream])) if {
	method in server_request_methods
	server_request_setting == "allow"
} else := deny("server_request.denied", concat("", [method, " not allowed for upstream ", upstream]))

# tools/call before the protocol methods (they are disjoint): the most frequent message then skips
# building the protocol_methods set, which wasm does on every evaluation.
verdict_to_server := permit("server.response", "client answer to a server request") if {
	kind == "response"
} else := verdict_tool if {
	method == "tools/call"
} else := permit("protocol", concat("", ["protocol method ", method])) if {
	method in protocol_methods
} else := permit("resources.read", "resource URI allowed") if {
	method in resource_methods
	may_read
	resource_allowed(resource_uri)
} else := deny("resources.denied", "resource URI not allowed") if {
	method in resource_methods
} else := permit("prompts.get", "prompt allowed") if {
	method == "prompts/get"
	may_read
	prompt_allowed(object.get(params, "name", null))
} else := deny("prompts.denied", "prompt not allowed") if {
	method == "prompts/get"
} else := permit("completion", "completion for an allowed prompt or resource") if {
	method == "completion/complete"
	may_read
	completion_allowed
} else := deny("method.denied", concat("", ["method not allowed: ", method]))

verdict_tool := deny("tools.missing", "tools/call without a tool") if {
	tool_name == ""
} else := deny("tools.denied", "tool denied by operator rule") if {
	tool_denied
} else := deny("tools.definition_changed", "tool definition changed since it was approved") if {
	definition_changed
} else := deny("tools.arguments", "malformed tool arguments") if {
	not listing
	arguments_malformed
} else := deny("tools.arguments", "tool arguments violate a constraint") if {
	not listing
	arguments_violated
} else := permit("tools.read", "read tool") if {
	tool_class == "read"
	may_read
} else := permit("tools.granted", "tool granted to this principal") if {
	granted_tool
} else := deny("tools.read_role", "role may not call tools") if {
	tool_class == "read"
} else := deny("tools.write_blocked", "write tool outside edit mode") if {
	not edit_on
} else := deny("tools.write_role", "role may not write") if {
	not may_write
} else := deny("tools.write_not_approved", "write tool not on the write allowlist") if {
	not write_approved
} else := permit("tools.write", "write tool in edit mode")

default audit_level := "full"

audit_level := object.get(object.get(cfg, "audit", {}), "level", "full")

decision := {
	"allow": verdict.allow,
	"reason": verdict.reason,
	"rule": verdict.rule,
	"redact": redact,
	"audit": {"level": audit_level},
}
