package record_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// A join model with a key of its own and a softdelete column: a history
// of enrolments, one row per time a pupil joined the course.
type SjCourse struct {
	record.Base[SjCourse]
	ID     int64       `db:"id,pk,autoincrement"`
	Name   string      `db:"name,size=20"`
	Pupils []*RevPupil `rel:"m2m=SjEnrolment"`
}

type SjEnrolment struct {
	record.Base[SjEnrolment]
	ID         int64      `db:"id,pk,autoincrement"`
	SjCourseID int64      `db:"sj_course_id,fk=sj_course.id"`
	RevPupilID int64      `db:"rev_pupil_id,fk=rev_pupil.id"`
	Deleted    *time.Time `db:"deleted_at,softdelete"`
}

func init() {
	recordModels = append(recordModels, SjCourse{}, SjEnrolment{})
}

// Relinking through a join model keyed by its own column inserts a new
// row and keeps the soft-deleted one (the link's key is not taken), while
// reads see the live links only. (A join model keyed by its link columns
// gets the soft-deleted row back: TestReviewSoftDeletedJoinModelLinks.)
func TestSoftJoinModelWithItsOwnKeyKeepsRemovedLinks(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{SjCourse{}, RevPupil{}, SjEnrolment{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		a, b := &RevPupil{Name: "a"}, &RevPupil{Name: "b"}
		c := &SjCourse{Name: "c", Pupils: []*RevPupil{a, b}}
		require.NoError(t, c.Save(ctx))

		c.Pupils = []*RevPupil{a}
		require.NoError(t, c.Save(ctx), "unlink b")
		got, err := record.Query[SjCourse](ctx).Where(builder.Eq{"id": c.ID}).Preload("Pupils").First()
		require.NoError(t, err)
		require.Len(t, got.Pupils, 1)
		assert.Equal(t, a.ID, got.Pupils[0].ID)

		c.Pupils = []*RevPupil{a, b}
		require.NoError(t, c.Save(ctx), "link b again")
		got, err = record.Query[SjCourse](ctx).Where(builder.Eq{"id": c.ID}).Preload("Pupils").First()
		require.NoError(t, err)
		assert.Len(t, got.Pupils, 2)
		rows, err := record.Query[SjEnrolment](ctx).WithDeleted().Where(builder.Eq{"rev_pupil_id": b.ID}).OrderBy("id").All()
		require.NoError(t, err)
		require.Len(t, rows, 2, "the removed link stays, the new one is a row of its own")
		assert.NotNil(t, rows[0].Deleted)
		assert.Nil(t, rows[1].Deleted)
	})
}
