# Who the principal is, in warden roles (admin, operator, viewer).
#
# Warden roles come from: principal roles that already are warden roles; principal roles and
# claim values mapped through data.warden.role_map; per-principal grants in data.warden.principals.
package mcp_warden

import rego.v1

warden_role_names := {"admin", "operator", "viewer"}

default cfg := {}

cfg := data.warden

principal := object.get(input, "principal", {})

principal_roles := {r | some r in object.get(principal, "roles", []); is_string(r)}

role_map := object.get(cfg, "role_map", {})

# A role_map value is one role name or a list of them.
role_targets(v) := {v} if is_string(v)

role_targets(v) := {x | some x in v; is_string(x)} if is_array(v)

claim_values(v) := {v} if is_string(v)

claim_values(v) := {x | some x in v; is_string(x)} if is_array(v)

grant := object.get(object.get(cfg, "principals", {}), object.get(principal, "id", ""), {})

candidate_roles contains r if some r in principal_roles

candidate_roles contains r if {
	some pr in principal_roles
	some r in role_targets(object.get(role_map, pr, []))
}

candidate_roles contains r if {
	some claim in object.get(cfg, "role_claims", [])
	some v in claim_values(object.get(object.get(principal, "claims", {}), claim, []))
	some r in role_targets(object.get(role_map, v, []))
}

candidate_roles contains r if some r in role_targets(object.get(grant, "roles", []))

roles := {r | some r in candidate_roles; r in warden_role_names}

read_role_names := {r | some r in object.get(cfg, "read_roles", ["admin", "operator", "viewer"])}

write_role_names := {r | some r in object.get(cfg, "write_roles", ["admin", "operator"])}

may_read if some r in (roles & read_role_names)

may_write if some r in (roles & write_role_names)
