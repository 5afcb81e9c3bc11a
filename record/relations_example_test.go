package record_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Writer has many stories; a Story belongs to its writer and has many
// topics through the join table story_topic.
type Writer struct {
	record.Base[Writer]
	ID      int64    `db:"id,pk,autoincrement"`
	Name    string   `db:"name,size=50"`
	Email   string   `db:"email,size=50"`
	Stories []*Story `rel:"cascade,orphans=delete"`
}

type Story struct {
	record.Base[Story]
	ID       int64    `db:"id,pk,autoincrement"`
	WriterID int64    `db:"writer_id,fk=writer.id"`
	Title    string   `db:"title,size=100"`
	Writer   *Writer  // belongs-to, the inverse of Writer.Stories
	Topics   []*Topic `rel:"m2m=story_topic"`
}

type Topic struct {
	record.Base[Topic]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50"`
}

// MapAdapters keeps e-mail addresses out of ToMap and JSON, and lists a
// writer's topics by name.
func (Writer) MapAdapters() record.Adapters { return writerAdapters }

var writerAdapters = record.Adapters{
	"email": nil,
}

func (Story) MapAdapters() record.Adapters { return storyAdapters }

var storyAdapters = record.Adapters{
	record.TypeOf[Topic](): func(v any, _ string, _ any) any { return v.(*Topic).Name },
}

func writersDB() (context.Context, func()) {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, Writer{}, Story{}, Topic{}); err != nil { // and story_topic
		log.Fatal(err)
	}
	w, err := record.New[Writer](map[string]any{
		"name":  "Le Guin",
		"email": "ursula@example.com",
		"stories": []map[string]any{
			{"title": "The Dispossessed", "topics": []map[string]any{{"name": "anarchy"}, {"name": "physics"}}},
			{"title": "The Word for World Is Forest", "topics": []map[string]any{{"name": "ecology"}}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Save(ctx); err != nil { // one transaction: the writer, her stories, the topics, the join rows
		log.Fatal(err)
	}
	return ctx, func() { db.Close() }
}

func ExampleQuerySet_Preload() {
	ctx, done := writersDB()
	defer done()

	writers, err := record.Query[Writer](ctx).Preload("Stories.Topics").All() // 4 queries, however many writers
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range writers {
		for _, s := range w.Stories {
			var names []string
			for _, t := range s.Topics {
				names = append(names, t.Name)
			}
			fmt.Printf("%s: %s [%s] (back-reference: %s)\n", w.Name, s.Title, strings.Join(names, ", "), s.Writer.Name)
		}
	}
	_, err = record.Query[Writer](ctx).Preload("Stories.Authors").All()
	fmt.Println(err)
	// Output:
	// Le Guin: The Dispossessed [anarchy, physics] (back-reference: Le Guin)
	// Le Guin: The Word for World Is Forest [ecology] (back-reference: Le Guin)
	// registry: model Story has no relation "Authors" (in "Stories.Authors")
}

func ExampleBase_Update_nested() {
	ctx, done := writersDB()
	defer done()

	w, err := record.Query[Writer](ctx).Preload("Stories").Get(1)
	if err != nil {
		log.Fatal(err)
	}
	// A map merges into the record with its key; the slice replaces the
	// collection, so the second story leaves it and, with orphans=delete,
	// is deleted when the writer is saved.
	err = w.Update(map[string]any{
		"name":    "Ursula K. Le Guin",
		"stories": []map[string]any{{"id": w.Stories[0].ID, "title": "The Dispossessed: An Ambiguous Utopia"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Save(ctx); err != nil {
		log.Fatal(err)
	}
	n, _ := record.Query[Story](ctx).Count()
	fmt.Println(n, "story:", w.Stories[0].Title)

	// Bad input anywhere leaves everything as it was.
	err = w.Update(map[string]any{"name": "X", "stories": []map[string]any{{"title": 5}}})
	fmt.Println(err)
	fmt.Println(w.Name)
	// Output:
	// 1 story: The Dispossessed: An Ambiguous Utopia
	// record: Writer.Stories[0]: record: Story.Title (column "title"): cannot convert int "5" to string
	// Ursula K. Le Guin
}

func ExampleBase_ToMap_relations() {
	ctx, done := writersDB()
	defer done()

	w, err := record.Query[Writer](ctx).Preload("Stories.Topics").Get(1)
	if err != nil {
		log.Fatal(err)
	}
	// Each story's Writer points back at w: w is on the path, so it is not
	// expanded again. Adapters drop the e-mail and shorten the topics.
	out, _ := json.MarshalIndent(w, "", "  ")
	fmt.Println(string(out))
	fmt.Println(w.ToMap(record.ExcludeRelations()))
	// Output:
	// {
	//   "id": 1,
	//   "name": "Le Guin",
	//   "stories": [
	//     {
	//       "id": 1,
	//       "title": "The Dispossessed",
	//       "topics": [
	//         "anarchy",
	//         "physics"
	//       ],
	//       "writer_id": 1
	//     },
	//     {
	//       "id": 2,
	//       "title": "The Word for World Is Forest",
	//       "topics": [
	//         "ecology"
	//       ],
	//       "writer_id": 1
	//     }
	//   ]
	// }
	// map[id:1 name:Le Guin]
}
