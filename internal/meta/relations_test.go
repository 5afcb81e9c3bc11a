package meta_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/record"
)

type RAccount struct {
	record.Base[RAccount]
	ID      int64      `db:"id,pk,autoincrement"`
	Name    string     `db:"name"`
	Roles   []RRole    // has-many by the fk= option on RRole.AccountID
	Profile *RProfile  `rel:"cascade"` // has-one by the name r_account_id
	Groups  []*RGroup  `rel:"m2m=r_account_group"`
	Sent    []RMessage `rel:"fk=sender_id"`
}

type RRole struct {
	record.Base[RRole]
	ID        int64     `db:"id,pk,autoincrement"`
	AccountID int64     `db:"account_id,fk=r_account.id"`
	Role      string    `db:"role"`
	Account   *RAccount // belongs-to: the inverse of RAccount.Roles
}

type RProfile struct {
	record.Base[RProfile]
	ID         int64  `db:"id,pk,autoincrement"`
	RAccountID int64  `db:"r_account_id"`
	Bio        string `db:"bio"`
}

type RGroup struct {
	record.Base[RGroup]
	ID       int32       `db:"id,pk,autoincrement"`
	Name     string      `db:"name"`
	Accounts []*RAccount `rel:"m2m=r_account_group"`
}

type RMessage struct {
	record.Base[RMessage]
	ID          int64     `db:"id,pk,autoincrement"`
	SenderID    int64     `db:"sender_id,fk=r_account.id"`
	RecipientID int64     `db:"recipient_id,fk=r_account.id"`
	Sender      *RAccount // by the field's name: sender_id
	Recipient   RAccount  // by the field's name: recipient_id
}

type RNode struct {
	record.Base[RNode]
	ID       int64   `db:"id,pk,autoincrement"`
	ParentID *int64  `db:"parent_id,fk=r_node.id"`
	Parent   *RNode  // belongs-to itself
	Children []RNode // has-many itself
	Friends  []RNode `rel:"m2m=r_node_friend,fk=node_id,ref=friend_id"`
}

func TestRelationKindsByConvention(t *testing.T) {
	require.NoError(t, meta.Register(RAccount{}, RNode{}))
	acc, err := meta.Of[RAccount]()
	require.NoError(t, err)
	role, _ := meta.Of[RRole]()
	prof, _ := meta.Of[RProfile]()
	msg, _ := meta.Of[RMessage]()
	node, _ := meta.Of[RNode]()

	col := func(m *meta.Model, name string) *meta.Column {
		c, ok := m.Column(name)
		require.True(t, ok, name)
		return c
	}
	rel := func(m *meta.Model, field string) *meta.Relation {
		r, ok := m.Relation(field)
		require.True(t, ok, field)
		return r
	}
	cases := []struct {
		name    string
		r       *meta.Relation
		kind    meta.RelKind
		related *meta.Model
		fk, ref *meta.Column
		inverse *meta.Relation
	}{
		{"has-many by fk option", rel(acc, "Roles"), meta.HasMany, role, col(role, "account_id"), col(acc, "id"), rel(role, "Account")},
		{"belongs-to inverse", rel(role, "Account"), meta.BelongsTo, acc, col(role, "account_id"), col(acc, "id"), rel(acc, "Roles")},
		{"has-one by name", rel(acc, "Profile"), meta.HasOne, prof, col(prof, "r_account_id"), col(acc, "id"), nil},
		{"has-many by explicit fk", rel(acc, "Sent"), meta.HasMany, msg, col(msg, "sender_id"), col(acc, "id"), rel(msg, "Sender")},
		{"belongs-to by field name", rel(msg, "Sender"), meta.BelongsTo, acc, col(msg, "sender_id"), col(acc, "id"), rel(acc, "Sent")},
		{"value belongs-to by field name", rel(msg, "Recipient"), meta.BelongsTo, acc, col(msg, "recipient_id"), col(acc, "id"), nil},
		{"self belongs-to", rel(node, "Parent"), meta.BelongsTo, node, col(node, "parent_id"), col(node, "id"), rel(node, "Children")},
		{"self has-many", rel(node, "Children"), meta.HasMany, node, col(node, "parent_id"), col(node, "id"), rel(node, "Parent")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.kind, tc.r.Kind, tc.r.Kind.String())
			assert.Same(t, tc.related, tc.r.Related)
			assert.Same(t, tc.fk, tc.r.FK)
			assert.Same(t, tc.ref, tc.r.Ref)
			if tc.inverse == nil {
				assert.Nil(t, tc.r.Inverse)
			} else {
				assert.Same(t, tc.inverse, tc.r.Inverse)
			}
		})
	}
	assert.True(t, rel(acc, "Profile").Cascade)
	assert.Equal(t, "roles", rel(acc, "Roles").Key())
	assert.Equal(t, "RAccount.Roles", rel(acc, "Roles").String())
}

func TestManyToManyJoinTable(t *testing.T) {
	require.NoError(t, meta.Register(RAccount{}, RNode{}))
	acc, _ := meta.Of[RAccount]()
	grp, _ := meta.Of[RGroup]()
	groups, _ := acc.Relation("Groups")
	accounts, _ := grp.Relation("Accounts")

	require.Equal(t, meta.ManyToMany, groups.Kind)
	j := groups.Through().Join
	require.NotNil(t, j)
	assert.Same(t, j, accounts.Through().Join, "both sides share one join table")
	assert.True(t, j.IsJoin())
	assert.False(t, acc.IsJoin())
	assert.Equal(t, "r_account_group", j.Table)
	assert.Equal(t, []string{"r_account_id", "r_group_id"}, j.ColumnNames())
	assert.Len(t, j.PK, 2)
	assert.Equal(t, &meta.ForeignKey{Table: "r_account", Column: "id"}, j.Columns[0].FK)
	assert.Equal(t, &meta.ForeignKey{Table: "r_group", Column: "id"}, j.Columns[1].FK)
	assert.Equal(t, reflect.TypeFor[int64](), j.Columns[0].Type)
	assert.Equal(t, reflect.TypeFor[int32](), j.Columns[1].Type, "a join column has the type of the key it references")
	assert.Same(t, j.Columns[0], groups.Through().FK)
	assert.Same(t, j.Columns[1], groups.Through().JoinRef)
	assert.Same(t, j.Columns[1], accounts.Through().FK)
	assert.Nil(t, groups.FK, "a many-to-many relation's columns are in Through")
	assert.Same(t, accounts, groups.Inverse)
	assert.Same(t, groups, accounts.Inverse)
	got, ok := meta.ByTable("r_account_group")
	assert.True(t, ok)
	assert.Same(t, j, got)
	assert.Equal(t, []*meta.Model{j}, meta.JoinModels([]*meta.Model{acc, grp}))
	assert.Empty(t, meta.JoinModels([]*meta.Model{acc}), "a join table needs both sides")

	node, _ := meta.Of[RNode]()
	friends, _ := node.Relation("Friends")
	assert.Equal(t, []string{"node_id", "friend_id"}, friends.Through().Join.ColumnNames())
}

// Each bad model below fails registration with a clear error naming it.
type (
	BadNoFK struct {
		record.Base[BadNoFK]
		ID    int64 `db:"id,pk"`
		Items []BadNoFKItem
	}
	BadNoFKItem struct {
		record.Base[BadNoFKItem]
		ID int64 `db:"id,pk"`
	}
	BadAmbiguous struct {
		record.Base[BadAmbiguous]
		ID    int64 `db:"id,pk"`
		Items []BadAmbiguousItem
	}
	BadAmbiguousItem struct {
		record.Base[BadAmbiguousItem]
		ID int64 `db:"id,pk"`
		A  int64 `db:"a,fk=bad_ambiguous.id"`
		B  int64 `db:"b,fk=bad_ambiguous.id"`
	}
	BadOption struct {
		record.Base[BadOption]
		ID    int64           `db:"id,pk"`
		Items []BadOptionItem `rel:"fk=bad_option_id,sideways"`
	}
	BadOptionItem struct {
		record.Base[BadOptionItem]
		ID          int64 `db:"id,pk"`
		BadOptionID int64 `db:"bad_option_id"`
	}
	BadM2MSingle struct {
		record.Base[BadM2MSingle]
		ID   int64          `db:"id,pk"`
		Item *BadOptionItem `rel:"m2m=bad_m2m_single_item"`
	}
	BadCascadeParent struct {
		record.Base[BadCascadeParent]
		ID          int64      `db:"id,pk"`
		BadOptionID int64      `db:"bad_option_id"`
		Owner       *BadOption `rel:"fk=bad_option_id,cascade"`
	}
	BadUnknownFK struct {
		record.Base[BadUnknownFK]
		ID    int64           `db:"id,pk"`
		Items []BadOptionItem `rel:"fk=nope"`
	}
	BadJoinIsModel struct {
		record.Base[BadJoinIsModel]
		ID    int64           `db:"id,pk"`
		Items []BadOptionItem `rel:"m2m=bad_option_item"`
	}
	BadSelfM2M struct {
		record.Base[BadSelfM2M]
		ID      int64        `db:"id,pk"`
		Friends []BadSelfM2M `rel:"m2m=bad_friends"`
	}
	BadTypes struct {
		record.Base[BadTypes]
		ID    int64          `db:"id,pk"`
		Items []BadTypesItem `rel:"fk=owner"`
	}
	BadTypesItem struct {
		record.Base[BadTypesItem]
		ID    int64  `db:"id,pk"`
		Owner string `db:"owner"`
	}
	BadSetOnMany struct {
		record.Base[BadSetOnMany]
		ID    int64           `db:"id,pk"`
		Items []BadOptionItem `rel:"fk=bad_option_id"`
	}
	BadSingleAmbiguous struct {
		record.Base[BadSingleAmbiguous]
		ID     int64 `db:"id,pk"`
		OtherX int64 `db:"other_x,fk=bad_single_other.id"`
		Other  *BadSingleOther
	}
	BadSingleOther struct {
		record.Base[BadSingleOther]
		ID     int64 `db:"id,pk"`
		Backer int64 `db:"backer,fk=bad_single_ambiguous.id"`
	}
)

func (BadSetOnMany) Events(on *events.On[BadSetOnMany]) {
	on.Set("items", func(*BadSetOnMany, any, any) (any, error) { return nil, nil })
}

func TestRelationErrorsAtRegistration(t *testing.T) {
	cases := []struct {
		name  string
		model any
		kind  error
		field string
		msg   string
	}{
		{"no foreign key", BadNoFK{}, meta.ErrRelation, "Items", "no foreign key from BadNoFKItem to BadNoFK"},
		{"ambiguous foreign keys", BadAmbiguous{}, meta.ErrRelation, "Items", "ambiguous: BadAmbiguousItem has several foreign keys to BadAmbiguous (a, b)"},
		{"unknown option", BadOption{}, meta.ErrBadTag, "Items", `unknown option "sideways"`},
		{"m2m on a single field", BadM2MSingle{}, meta.ErrBadTag, "Item", "m2m needs a slice field"},
		{"cascade on belongs-to", BadCascadeParent{}, meta.ErrBadTag, "Owner", "belong on the parent's side"},
		{"fk names no column", BadUnknownFK{}, meta.ErrRelation, "Items", `BadOptionItem has no column "nope"`},
		{"join table is a model", BadJoinIsModel{}, meta.ErrRelation, "Items", "join model BadOptionItem has no column linking it to BadJoinIsModel: give BadOptionItem a column bad_join_is_model_id"},
		{"self m2m needs column names", BadSelfM2M{}, meta.ErrRelation, "Friends", `both join columns would be named "bad_self_m2_m_id"`},
		{"incompatible key types", BadTypes{}, meta.ErrRelation, "Items", "cannot hold values of"},
		{"Set handler on a collection", BadSetOnMany{}, meta.ErrBadTag, "Events", "fires Append and Remove, not Set"},
		{"ambiguous single relation", BadSingleAmbiguous{}, meta.ErrRelation, "Other", "ambiguous: BadSingleAmbiguous and BadSingleOther are linked by"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := meta.Register(tc.model)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.kind)
			var me *meta.ModelError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, reflect.TypeOf(tc.model).Name(), me.Model)
			assert.Equal(t, tc.field, me.Field)
			assert.Contains(t, err.Error(), tc.msg)
			_, registered := meta.ByTable(meta.SnakeCase(me.Model))
			assert.False(t, registered, "a model that fails is not registered")
		})
	}
}
