// Package plan owns the callplan plan format: its Go types, strict YAML
// loading with file:line:col diagnostics, environment expansion, --set
// overrides, defaults (applied in one place) and the validation that needs no
// other package. Flow parameters and assertion expressions are checked by the
// layers above, which own those registries.
package plan
