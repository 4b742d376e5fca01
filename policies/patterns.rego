# Name and URI patterns with glob.match's meaning, without its cost where it is not needed.
#
# In WebAssembly glob.match compiles its pattern on every call (about 9 µs, more than the rest of a
# decision), and almost every pattern an operator writes is a literal ("get-env") or a literal and
# one trailing `*` ("trigger-*", "demo://resource/static/*"). Those two shapes are matched with
# string built-ins; every other pattern still goes to glob.match. The meaning stays exactly
# glob.match(p, null, s) as compiled to wasm (no delimiters: `*` matches any run of characters but
# a line break, `/` and `.` included); patterns_test.rego and a wasm test check that they agree.
# One deliberate difference: a literal pattern (no glob metacharacter) matches itself exactly, as
# OPA's own glob.match does, even where it holds regex characters such as `(` or `$` on which the
# wasm glob.match fails to match anything (so a literal deny rule like "a(b" really denies).
#
# Telling the shapes apart costs about as much as glob.match itself, so it is done once per data
# load: mcp-warden evaluates the entrypoint mcp_warden/pattern_index (the shape of every string in
# data.warden) and hands the result back as data.warden_index.patterns. Without that index (opa
# test, another PEP) the shape is worked out on each call: slower, same answers.
package mcp_warden

import rego.v1

glob_meta := ["*", "?", "[", "]", "{", "}", "\\"]

has_glob_meta(p) if {
	some c in glob_meta
	contains(p, c)
}

# The shape of one pattern: {"literal": p}, {"prefix": "abc"} for "abc*", or {"glob": p}.
pattern_shape(p) := {"literal": p} if {
	not has_glob_meta(p)
} else := {"prefix": prefix} if {
	endswith(p, "*")
	prefix := substring(p, 0, count(p) - 1)
	not has_glob_meta(prefix)
} else := {"glob": p}

# Every string in data.warden, keys included, and its lower case (tool rules also match folded names).
data_strings contains s if {
	walk(cfg, [path, value])
	some s in array.concat(path, [value])
	is_string(s)
}

pattern_index := {p: pattern_shape(p) | some s in data_strings; some p in {s, lower(s)}}

shape_of(p) := s if {
	s := data.warden_index.patterns[p]
} else := pattern_shape(p) if is_string(p)

pattern_match(p, s) if {
	shape := shape_of(p)
	shape_match(shape, s)
}

shape_match(shape, s) if shape.literal == s

# In wasm, glob.match's `*` does not match a line break (its regex `.` does not); the prefix shape
# keeps that meaning, so `safe-*` does not allow a name "safe-\nrm" that glob.match would refuse.
shape_match(shape, s) if {
	startswith(s, shape.prefix)
	not contains(substring(s, count(shape.prefix), -1), "\n")
}

shape_match(shape, s) if glob.match(shape.glob, null, s)
