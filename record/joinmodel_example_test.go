package record_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Course has many students through Enrollment, a model of its own with a
// grade column: rel:"m2m=Enrollment" names the join model by its Go name
// (its table, "enrollment", works too).
type Course struct {
	record.Base[Course]
	ID          int64         `db:"id,pk,autoincrement"`
	Title       string        `db:"title,size=50"`
	Students    []*Student    `rel:"m2m=Enrollment"`
	Enrollments []*Enrollment // the join rows themselves, for their own columns
}

type Student struct {
	record.Base[Student]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50"`
}

// Enrollment links a course and a student: its columns course_id and
// student_id are found by the naming; it may have columns, relations and
// hooks of its own.
type Enrollment struct {
	record.Base[Enrollment]
	CourseID  int64    `db:"course_id,pk=1,fk=course.id"`
	StudentID int64    `db:"student_id,pk=2,fk=student.id"`
	Grade     string   `db:"grade,size=2"`
	Student   *Student // belongs-to
}

// BeforeInsert runs for every link that Save writes, as for any Insert.
func (e *Enrollment) BeforeInsert(ctx context.Context) error {
	if e.Grade == "" {
		e.Grade = "-"
	}
	return nil
}

func ExampleQuerySet_Preload_joinModel() {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, Course{}, Student{}, Enrollment{}); err != nil {
		log.Fatal(err)
	}
	ann, bob := &Student{Name: "Ann"}, &Student{Name: "Bob"}
	c := &Course{Title: "SQL", Students: []*Student{ann, bob}}
	if err := c.Save(ctx); err != nil { // the course, the students, two Enrollment rows
		log.Fatal(err)
	}

	// The join model on its own: grade Ann.
	e, err := record.FindOne[Enrollment](ctx, builder.Eq{"course_id": c.ID, "student_id": ann.ID})
	if err != nil {
		log.Fatal(err)
	}
	e.Grade = "A"
	if err := e.Save(ctx); err != nil {
		log.Fatal(err)
	}

	// Through the join model, and to its own columns.
	got, err := record.Query[Course](ctx).Preload("Students", "Enrollments.Student").Get(c.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range got.Students {
		fmt.Println("student:", s.Name)
	}
	for _, e := range got.Enrollments {
		fmt.Println("grade:", e.Student.Name, e.Grade)
	}

	// Removing a link destroys its Enrollment row; Bob stays.
	if err := got.Update(map[string]any{"students": []any{got.Students[0]}}); err != nil {
		log.Fatal(err)
	}
	if err := got.Save(ctx); err != nil {
		log.Fatal(err)
	}
	links, _ := record.Query[Enrollment](ctx).Count()
	students, _ := record.Query[Student](ctx).Count()
	fmt.Println("enrollments:", links, "students:", students)
	// Output:
	// student: Ann
	// student: Bob
	// grade: Ann A
	// grade: Bob -
	// enrollments: 1 students: 2
}
