package agent

import (
	"strconv"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

func TestVarListOrderAndHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		do   func(v *varList)
		want []header
	}{
		{"set in order", func(v *varList) { v.set("a", "1"); v.set("b", "2") },
			[]header{{Name: "variable_a", Value: "1"}, {Name: "variable_b", Value: "2"}}},
		{"setting again moves to the end", func(v *varList) { v.set("a", "1"); v.set("b", "2"); v.set("a", "3") },
			[]header{{Name: "variable_b", Value: "2"}, {Name: "variable_a", Value: "3"}}},
		{"empty unsets", func(v *varList) { v.set("a", "1"); v.set("b", "2"); v.set("a", "") },
			[]header{{Name: "variable_b", Value: "2"}}},
		{"setIfAbsent keeps the place and value", func(v *varList) { v.set("a", "1"); v.set("b", "2"); v.setIfAbsent("a", "9"); v.setIfAbsent("c", "3") },
			[]header{{Name: "variable_a", Value: "1"}, {Name: "variable_b", Value: "2"}, {Name: "variable_c", Value: "3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, names := range []*varNames{nil, {}} {
				v := varList{names: names}
				tt.do(&v)
				assert.Equal(t, tt.want, v.appendHeaders(nil))
				for _, h := range tt.want {
					got, ok := v.get(h.Name[len("variable_"):])
					assert.True(t, ok, h.Name)
					assert.Equal(t, h.Value, got, h.Name)
				}
			}
		})
	}
}

func TestVarNamesShareUpToTheirBound(t *testing.T) {
	t.Parallel()
	var names varNames
	a, b := varList{names: &names}, varList{names: &names}
	a.set("hangup_cause", "NORMAL_CLEARING")
	b.set("hangup_cause", "USER_BUSY")
	wa, wb := a.appendHeaders(nil)[0].Name, b.appendHeaders(nil)[0].Name
	assert.Equal(t, "variable_hangup_cause", wb)
	assert.Same(t, unsafe.StringData(wa), unsafe.StringData(wb), "two channels share one copy of a name")

	// A name per call fills the table to its bound and no further; names
	// past it are still right, only not shared.
	for i := range varNamesMax + 10 {
		n := "sip_h_X-" + strconv.Itoa(i)
		assert.Equal(t, "variable_"+n, names.wire(n))
	}
	assert.Equal(t, varNamesMax, names.size())
	assert.Equal(t, "variable_late", names.wire("late"))
	assert.NotSame(t, unsafe.StringData(names.wire("late")), unsafe.StringData(names.wire("late")))
}
