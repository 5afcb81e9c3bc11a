package dbtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/registry"
)

// ModelTypeNames returns the names of the struct types declared in the Go
// files of dir matching pattern that embed record.Base: a suite's models,
// so that a test over all of them notices one it does not list.
func ModelTypeNames(t testing.TB, dir, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	require.NoError(t, err)
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fld := range st.Fields.List {
				if len(fld.Names) == 0 && strings.HasPrefix(exprString(fld.Type), "record.Base[") {
					names = append(names, ts.Name.Name)
				}
			}
			return true
		})
	}
	sort.Strings(names)
	return names
}

func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.IndexExpr:
		return exprString(x.X) + "["
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	case *ast.Ident:
		return x.Name
	}
	return ""
}

// AssertDiffEmpty creates the table of each model (with the tables its
// foreign keys reference among models), asserts that Diff finds nothing to
// change, and drops them again. Models that do not register (a suite's
// deliberately bad ones) are left out and returned.
func AssertDiffEmpty(t *testing.T, db *DB, models []any) (unregistered []string) {
	t.Helper()
	ctx := db.Ctx()
	byTable := map[string]any{}
	var ok []any
	for _, m := range models {
		if err := registry.Register(m); err != nil {
			unregistered = append(unregistered, reflect.TypeOf(m).Name())
			continue
		}
		ok = append(ok, m)
		md, _ := registry.Lookup(reflect.TypeOf(m))
		if _, dup := byTable[md.Table]; !dup {
			byTable[md.Table] = m
		}
	}
	for _, m := range ok {
		md, _ := registry.Lookup(reflect.TypeOf(m))
		set := []any{m}
		seen := map[string]bool{md.Table: true}
		for i := 0; i < len(set); i++ {
			cur, _ := registry.Lookup(reflect.TypeOf(set[i]))
			for _, c := range cur.Columns {
				if c.FK != nil && !seen[c.FK.Table] {
					seen[c.FK.Table] = true
					if p, ok := byTable[c.FK.Table]; ok {
						set = append(set, p)
					}
				}
			}
		}
		name := md.Name
		if !assert.NoError(t, db.CreateAll(ctx, set...), name) {
			continue
		}
		plan, err := db.Diff(ctx, set...)
		if assert.NoError(t, err, name) {
			assert.True(t, plan.Empty(), "%s: the plan after CreateAll is not empty:\n%s", name, plan)
			assert.Empty(t, plan.Notes, name)
		}
		assert.NoError(t, db.DropAll(ctx, set...), name)
	}
	return unregistered
}
