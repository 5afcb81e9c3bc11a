package bench

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/sqlservice/sqlservice/record"
)

// Every library gets the struct it would be used with: the same table and
// columns, each with its own tags. The schema itself is created once per
// database by sqlservice (CreateAll), so every library reads and writes the
// same DDL.

// User is the sqlservice model of the users table.
type User struct {
	record.Base[User]
	ID        int64     `db:"id,pk,autoincrement"`
	Name      string    `db:"name,size=100"`
	Email     string    `db:"email,size=100"`
	Phone     string    `db:"phone,size=20"`
	Age       int       `db:"age"`
	CreatedAt time.Time `db:"created_at"`
}

func (User) TableName() string { return "users" }

// Author and Post are the sqlservice models of the one-to-many pair that
// Preload100x10 loads.
type Author struct {
	record.Base[Author]
	ID    int64  `db:"id,pk,autoincrement"`
	Name  string `db:"name,size=100"`
	Posts []Post `rel:"fk=author_id"`
}

func (Author) TableName() string { return "authors" }

type Post struct {
	record.Base[Post]
	ID       int64  `db:"id,pk,autoincrement"`
	AuthorID int64  `db:"author_id,notnull,index,fk=authors.id"`
	Title    string `db:"title,size=100"`
}

func (Post) TableName() string { return "posts" }

// PlainUser is the struct of hand-written database/sql and sqlx (db tags)
// and of fatih/structs (structs tags, time kept as a value).
type PlainUser struct {
	ID        int64     `db:"id" structs:"id"`
	Name      string    `db:"name" structs:"name"`
	Email     string    `db:"email" structs:"email"`
	Phone     string    `db:"phone" structs:"phone"`
	Age       int       `db:"age" structs:"age"`
	CreatedAt time.Time `db:"created_at" structs:"created_at,omitnested"`
}

type PlainAuthor struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Posts []PlainPost
}

type PlainPost struct {
	ID       int64  `db:"id"`
	AuthorID int64  `db:"author_id"`
	Title    string `db:"title"`
}

// GormUser, GormAuthor and GormPost follow GORM's conventions (ID primary
// key, snake_case columns, has-many by AuthorID).
type GormUser struct {
	ID        int64
	Name      string
	Email     string
	Phone     string
	Age       int
	CreatedAt time.Time
}

func (GormUser) TableName() string { return "users" }

type GormAuthor struct {
	ID    int64
	Name  string
	Posts []GormPost `gorm:"foreignKey:AuthorID"`
}

func (GormAuthor) TableName() string { return "authors" }

type GormPost struct {
	ID       int64
	AuthorID int64
	Title    string
}

func (GormPost) TableName() string { return "posts" }

// BunUser, BunAuthor and BunPost are bun's models.
type BunUser struct {
	bun.BaseModel `bun:"table:users,alias:u"`
	ID            int64     `bun:"id,pk,autoincrement"`
	Name          string    `bun:"name,notnull"`
	Email         string    `bun:"email,notnull"`
	Phone         string    `bun:"phone,notnull"`
	Age           int       `bun:"age,notnull"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
}

type BunAuthor struct {
	bun.BaseModel `bun:"table:authors,alias:a"`
	ID            int64      `bun:"id,pk,autoincrement"`
	Name          string     `bun:"name,notnull"`
	Posts         []*BunPost `bun:"rel:has-many,join:id=author_id"`
}

type BunPost struct {
	bun.BaseModel `bun:"table:posts,alias:p"`
	ID            int64  `bun:"id,pk,autoincrement"`
	AuthorID      int64  `bun:"author_id,notnull"`
	Title         string `bun:"title,notnull"`
}
