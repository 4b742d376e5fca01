# Which entity types are redacted in what flows back: every built-in type
# (data.warden.redaction.types, supplied by mcp-warden) minus the exemptions in
# data.warden.redaction.exempt that apply to this principal, upstream and tool.
package mcp_warden

import rego.v1

redaction_cfg := object.get(cfg, "redaction", {})

redaction_types := object.get(redaction_cfg, "types", [])

# An exemption applies when every selector it has matches (a missing selector matches anything).
exemption_applies(e) if {
	selector_roles(e)
	selector_principals(e)
	selector_upstreams(e)
	selector_tools(e)
}

selector_roles(e) if object.get(e, "roles", null) == null

selector_roles(e) if {
	some r in e.roles
	r in roles
}

selector_principals(e) if object.get(e, "principals", null) == null

selector_principals(e) if object.get(principal, "id", null) in e.principals

selector_upstreams(e) if object.get(e, "upstreams", null) == null

selector_upstreams(e) if upstream in e.upstreams

selector_tools(e) if object.get(e, "tools", null) == null

selector_tools(e) if {
	tool_name != ""
	some p in e.tools
	pattern_match(p, tool_name)
}

exempt_all(e) if object.get(e, "types", "*") == "*"

exempt_all(e) if "*" in object.get(e, "types", [])

# The exemptions that apply, evaluated once.
applicable_exemptions := [e | some e in object.get(redaction_cfg, "exempt", []); exemption_applies(e)]

exempt_types := {t | some e in applicable_exemptions; exempt_all(e); some t in redaction_types} | {t | some e in applicable_exemptions; is_array(e.types); some t in e.types}

redact := redaction_types if {
	count(applicable_exemptions) == 0
} else := r if {
	exempt := exempt_types
	r := [t | some t in redaction_types; not t in exempt]
}
