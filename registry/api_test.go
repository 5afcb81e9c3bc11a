package registry_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/registry"
)

// exported lists the exported fields (promoted ones included) and the
// methods of *T.
func exported[T any]() (fields, methods []string) {
	t := reflect.TypeFor[T]()
	for _, f := range reflect.VisibleFields(t) {
		if f.IsExported() && !f.Anonymous {
			fields = append(fields, f.Name)
		}
	}
	pt := reflect.PointerTo(t)
	for i := range pt.NumMethod() {
		methods = append(methods, pt.Method(i).Name)
	}
	slices.Sort(fields)
	return fields, methods
}

// The registry's types show what a model is, not how the other packages
// reach into a record: a field accessor or a layout detail added to them
// is reachable by every user, and should be a function of internal/meta.
func TestTheRegistryTypesShowMetadataOnly(t *testing.T) {
	fields, methods := exported[registry.Column]()
	assert.Equal(t, []string{"AutoCreate", "AutoIncrement", "AutoUpdate", "Bits", "Default", "FK", "Field", "HasDefault",
		"Indexed", "Kind", "Name", "NotNull", "Nullable", "PK", "SQLType", "Size", "SoftDelete", "Type", "Unique", "Version"}, fields)
	assert.Empty(t, methods)

	fields, methods = exported[registry.Model]()
	assert.Equal(t, []string{"AutoIncrement", "AutoTimes", "Columns", "HasBase", "Name", "Naming", "PK", "Relations",
		"SoftDelete", "Table", "Type", "Version"}, fields)
	assert.Equal(t, []string{"Column", "ColumnNames", "IsJoin", "MustColumns", "Relation"}, methods)

	fields, methods = exported[registry.Relation]()
	assert.Equal(t, []string{"Cascade", "DeleteOrphans", "FK", "Field", "Inverse", "Kind", "Many", "Owner", "Pointer",
		"Ref", "Related", "RelatedRef", "Tag", "Target", "Type"}, fields)
	assert.Equal(t, []string{"Key", "String", "Through"}, methods)
}

func TestOnShowsRegistrationOnly(t *testing.T) {
	fields, methods := exported[events.On[struct{}]]()
	assert.Empty(t, fields)
	assert.Equal(t, []string{"AfterDelete", "AfterInsert", "AfterSave", "AfterUpdate", "Append", "BeforeDelete",
		"BeforeInsert", "BeforeSave", "BeforeUpdate", "InitScalar", "Load", "Modified", "Refresh", "Remove", "Set"}, methods)
}
