package meta

// ParsedTag is the parsed form of a db tag with exported fields, so that
// registry_test can check the tag parser directly.
type ParsedTag struct {
	Skip          bool
	Name          string
	PK            bool
	PKOrder       int
	AutoIncrement bool
	NotNull       bool
	Unique        bool
	Index         bool
	Size          int
	Default       string
	HasDefault    bool
	SQLType       string
	FK            *ForeignKey
}

// ParseTag exposes parseTag to registry_test.
func ParseTag(s string) (ParsedTag, error) {
	t, err := parseTag(s)
	return ParsedTag{
		Skip:          t.skip,
		Name:          t.name,
		PK:            t.pk,
		PKOrder:       t.pkOrder,
		AutoIncrement: t.autoIncrement,
		NotNull:       t.notNull,
		Unique:        t.unique,
		Index:         t.index,
		Size:          t.size,
		Default:       t.dflt,
		HasDefault:    t.hasDefault,
		SQLType:       t.sqlType,
		FK:            t.fk,
	}, err
}

// PKOrder exposes a column's pk=N position to registry_test.
func PKOrder(c *Column) int { return c.pkOrder }
