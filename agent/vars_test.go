package agent

import (
	"testing"

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
			var v varList
			tt.do(&v)
			assert.Equal(t, tt.want, v.appendHeaders(nil))
			for _, h := range tt.want {
				got, ok := v.get(h.Name[len("variable_"):])
				assert.True(t, ok, h.Name)
				assert.Equal(t, h.Value, got, h.Name)
			}
		})
	}
}
