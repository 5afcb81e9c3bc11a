package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/fatih/structs"
	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
	"github.com/uptrace/bun"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
)

// One implementation per operation and library. Each constructor gets a
// seeded env and returns the function that performs the operation once;
// the benchmarks time that function and TestSanity checks what it returns,
// so a fast wrong implementation cannot pass. The functions return the same
// plain summary for every library: converting to it costs no allocation.

type (
	insertOneFn   func() (id int64, err error)
	insertBatchFn func() (idSum int64, err error) // idSum 0: ids not back-filled
	getFn         func(id int64) (PlainUser, error)
	findFn        func(after int64) (findResult, error)
	updateFn      func(i int) (id int64, name string, err error)
	deleteFn      func(id int64) error
	txFn          func() (id int64, err error)
	toMapFn       func() map[string]any
	preloadFn     func(after int64) (preloadResult, error)
)

type findResult struct {
	n      int
	idSum  int64
	ageSum int
	last   PlainUser
}

func (r *findResult) add(u PlainUser) {
	r.n++
	r.idSum += u.ID
	r.ageSum += u.Age
	r.last = u
}

type preloadResult struct {
	authors, posts int
	postIDSum      int64
	titleLen       int
	misplaced      int // posts under the wrong author
}

func (r *preloadResult) author() { r.authors++ }

func (r *preloadResult) post(authorID, postAuthorID, postID int64, title string) {
	r.posts++
	r.postIDSum += postID
	r.titleLen += len(title)
	if authorID != postAuthorID {
		r.misplaced++
	}
}

const (
	insertSQL   = "INSERT INTO users (name, email, phone, age, created_at) VALUES (?, ?, ?, ?, ?)"
	insertNamed = "INSERT INTO users (name, email, phone, age, created_at) VALUES (:name, :email, :phone, :age, :created_at)"
	getSQL      = "SELECT " + userCols + " FROM users WHERE id = ?"
	findSQL     = "SELECT " + userCols + " FROM users WHERE id > ? ORDER BY id LIMIT 100"
	updateSQL   = "UPDATE users SET name = ? WHERE id = ?"
	deleteSQL   = "DELETE FROM users WHERE id = ?"
	authorsSQL  = "SELECT id, name FROM authors WHERE id > ? ORDER BY id LIMIT 100"
)

var errRows = errors.New("unexpected number of rows affected")

func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w: %d", errRows, n)
	}
	return nil
}

func fromUser(u *User) PlainUser {
	return PlainUser{ID: u.ID, Name: u.Name, Email: u.Email, Phone: u.Phone, Age: u.Age, CreatedAt: u.CreatedAt}
}

func fromGorm(u *GormUser) PlainUser {
	return PlainUser{ID: u.ID, Name: u.Name, Email: u.Email, Phone: u.Phone, Age: u.Age, CreatedAt: u.CreatedAt}
}

func fromBun(u *BunUser) PlainUser {
	return PlainUser{ID: u.ID, Name: u.Name, Email: u.Email, Phone: u.Phone, Age: u.Age, CreatedAt: u.CreatedAt}
}

// batchUsers are the rows of one InsertBatch100 call.
var batchUsers = func() []PlainUser {
	out := make([]PlainUser, pageSize)
	for i := range out {
		out[i] = newUser()
		out[i].Name = fmt.Sprintf("Batch User %03d", i)
	}
	return out
}()

// ---- InsertOne

var insertOneLibs = map[string]func(e *env) insertOneFn{
	"raw": func(e *env) insertOneFn {
		if e.dialect == "postgres" {
			st := e.prepare(insertSQL + " RETURNING id")
			return func() (int64, error) {
				u := newUser()
				err := st.QueryRowContext(e.ctx, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt).Scan(&u.ID)
				return u.ID, err
			}
		}
		st := e.prepare(insertSQL)
		return func() (int64, error) {
			u := newUser()
			res, err := st.ExecContext(e.ctx, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt)
			if err != nil {
				return 0, err
			}
			return res.LastInsertId()
		}
	},
	"sqlservice": func(e *env) insertOneFn {
		return func() (int64, error) {
			p := newUser()
			u := &User{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			err := u.Save(e.ctx)
			return u.ID, err
		}
	},
	"sqlx": func(e *env) insertOneFn {
		db := e.sqlx()
		return func() (int64, error) { return sqlxInsert(e.ctx, db, e.dialect) }
	},
	"gorm": func(e *env) insertOneFn {
		g := e.gorm()
		return func() (int64, error) {
			p := newUser()
			u := &GormUser{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			err := g.WithContext(e.ctx).Create(u).Error
			return u.ID, err
		}
	},
	"bun": func(e *env) insertOneFn {
		db := e.bun()
		return func() (int64, error) {
			p := newUser()
			u := &BunUser{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			_, err := db.NewInsert().Model(u).Exec(e.ctx)
			return u.ID, err
		}
	},
}

type sqlxExt interface {
	sqlx.ExtContext
	NamedExecContext(ctx context.Context, query string, arg any) (sql.Result, error)
}

// sqlxInsert inserts newUser() the sqlx way: a named statement from the
// struct (NamedQuery with RETURNING on PostgreSQL, which has no
// LastInsertId).
func sqlxInsert(ctx context.Context, db sqlxExt, dialect string) (int64, error) {
	u := newUser()
	if dialect == "postgres" {
		rows, err := sqlx.NamedQueryContext(ctx, db, insertNamed+" RETURNING id", &u)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		if !rows.Next() {
			return 0, sql.ErrNoRows
		}
		err = rows.Scan(&u.ID)
		return u.ID, err
	}
	res, err := db.NamedExecContext(ctx, insertNamed, &u)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// ---- InsertBatch100

var insertBatchLibs = map[string]func(e *env) insertBatchFn{
	"raw": func(e *env) insertBatchFn {
		q := "INSERT INTO users (name, email, phone, age, created_at) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", pageSize), ", ")
		if e.dialect == "mysql" {
			// One statement's generated keys are consecutive; MySQL
			// reports the first.
			st := e.prepare(q)
			return func() (int64, error) {
				args := make([]any, 0, 5*pageSize)
				for _, u := range batchUsers {
					args = append(args, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt)
				}
				res, err := st.ExecContext(e.ctx, args...)
				if err != nil {
					return 0, err
				}
				first, err := res.LastInsertId()
				return pageSize*first + pageSize*(pageSize-1)/2, err
			}
		}
		st := e.prepare(q + " RETURNING id")
		return func() (int64, error) {
			args := make([]any, 0, 5*pageSize)
			for _, u := range batchUsers {
				args = append(args, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt)
			}
			rows, err := st.QueryContext(e.ctx, args...)
			if err != nil {
				return 0, err
			}
			var sum, id int64
			for rows.Next() {
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return 0, err
				}
				sum += id
			}
			if err := rows.Close(); err != nil {
				return 0, err
			}
			return sum, rows.Err()
		}
	},
	"sqlservice": func(e *env) insertBatchFn {
		return func() (int64, error) {
			us := make([]*User, pageSize)
			for i, p := range batchUsers {
				us[i] = &User{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			}
			_, err := record.BulkInsert[User](e.ctx, us)
			return 0, err // BulkInsert does not read generated keys back (SaveAll does)
		}
	},
	"sqlx": func(e *env) insertBatchFn {
		db := e.sqlx()
		return func() (int64, error) {
			us := make([]PlainUser, pageSize)
			copy(us, batchUsers)
			_, err := db.NamedExecContext(e.ctx, insertNamed, us)
			return 0, err // sqlx cannot back-fill the ids of a multi-row insert
		}
	},
	"gorm": func(e *env) insertBatchFn {
		g := e.gorm()
		return func() (int64, error) {
			us := make([]GormUser, pageSize)
			for i, p := range batchUsers {
				us[i] = GormUser{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			}
			err := g.WithContext(e.ctx).Create(&us).Error
			var sum int64
			for i := range us {
				sum += us[i].ID
			}
			return sum, err
		}
	},
	"bun": func(e *env) insertBatchFn {
		db := e.bun()
		return func() (int64, error) {
			us := make([]BunUser, pageSize)
			for i, p := range batchUsers {
				us[i] = BunUser{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			}
			_, err := db.NewInsert().Model(&us).Exec(e.ctx)
			var sum int64
			for i := range us {
				sum += us[i].ID
			}
			return sum, err
		}
	},
}

// ---- GetByPK

var getLibs = map[string]func(e *env) getFn{
	"raw": func(e *env) getFn {
		st := e.prepare(getSQL)
		return func(id int64) (PlainUser, error) {
			var u PlainUser
			err := st.QueryRowContext(e.ctx, id).Scan(&u.ID, &u.Name, &u.Email, &u.Phone, &u.Age, &u.CreatedAt)
			return u, err
		}
	},
	"sqlservice": func(e *env) getFn {
		return func(id int64) (PlainUser, error) {
			u, err := record.Get[User](e.ctx, id)
			if err != nil {
				return PlainUser{}, err
			}
			return fromUser(u), nil
		}
	},
	"sqlx": func(e *env) getFn {
		db := e.sqlx()
		q := db.Rebind(getSQL)
		return func(id int64) (PlainUser, error) {
			var u PlainUser
			err := db.GetContext(e.ctx, &u, q, id)
			return u, err
		}
	},
	"gorm": func(e *env) getFn {
		g := e.gorm()
		return func(id int64) (PlainUser, error) {
			var u GormUser
			err := g.WithContext(e.ctx).First(&u, id).Error
			return fromGorm(&u), err
		}
	},
	"bun": func(e *env) getFn {
		db := e.bun()
		return func(id int64) (PlainUser, error) {
			u := BunUser{ID: id}
			err := db.NewSelect().Model(&u).WherePK().Scan(e.ctx)
			return fromBun(&u), err
		}
	},
}

// ---- FindMany100

var findLibs = map[string]func(e *env) findFn{
	"raw": func(e *env) findFn {
		st := e.prepare(findSQL)
		return func(after int64) (findResult, error) {
			var r findResult
			rows, err := st.QueryContext(e.ctx, after)
			if err != nil {
				return r, err
			}
			us := make([]*PlainUser, 0, pageSize)
			for rows.Next() {
				u := new(PlainUser)
				if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.Phone, &u.Age, &u.CreatedAt); err != nil {
					rows.Close()
					return r, err
				}
				us = append(us, u)
			}
			if err := rows.Close(); err != nil {
				return r, err
			}
			if err := rows.Err(); err != nil {
				return r, err
			}
			for _, u := range us {
				r.add(*u)
			}
			return r, nil
		}
	},
	"sqlservice": func(e *env) findFn {
		return func(after int64) (findResult, error) {
			var r findResult
			us, err := record.Query[User](e.ctx).Where(builder.Gt{"id": after}).OrderBy("id").Limit(pageSize).All()
			for _, u := range us {
				r.add(fromUser(u))
			}
			return r, err
		}
	},
	"sqlx": func(e *env) findFn {
		db := e.sqlx()
		q := db.Rebind(findSQL)
		return func(after int64) (findResult, error) {
			var r findResult
			var us []PlainUser
			err := db.SelectContext(e.ctx, &us, q, after)
			for _, u := range us {
				r.add(u)
			}
			return r, err
		}
	},
	"gorm": func(e *env) findFn {
		g := e.gorm()
		return func(after int64) (findResult, error) {
			var r findResult
			var us []GormUser
			err := g.WithContext(e.ctx).Where("id > ?", after).Order("id").Limit(pageSize).Find(&us).Error
			for i := range us {
				r.add(fromGorm(&us[i]))
			}
			return r, err
		}
	},
	"bun": func(e *env) findFn {
		db := e.bun()
		return func(after int64) (findResult, error) {
			var r findResult
			var us []BunUser
			err := db.NewSelect().Model(&us).Where("u.id > ?", after).Order("u.id").Limit(pageSize).Scan(e.ctx)
			for i := range us {
				r.add(fromBun(&us[i]))
			}
			return r, err
		}
	},
}

// ---- UpdateOne: call i sets the name of user i%updateSet+1 to
// updateNames[i%len(updateNames)]. The ORMs work on records they loaded
// before the timer started, as an application would.

func updateTarget(i int) (int64, string) {
	return int64(i%updateSet + 1), updateNames[i%len(updateNames)]
}

var updateLibs = map[string]func(e *env) updateFn{
	"raw": func(e *env) updateFn {
		st := e.prepare(updateSQL)
		return func(i int) (int64, string, error) {
			id, name := updateTarget(i)
			return id, name, oneRow(st.ExecContext(e.ctx, name, id))
		}
	},
	"sqlservice": func(e *env) updateFn {
		us, err := record.Query[User](e.ctx).Limit(updateSet).All()
		if err != nil || len(us) != updateSet {
			e.tb.Fatalf("load: %d, %v", len(us), err)
		}
		return func(i int) (int64, string, error) {
			id, name := updateTarget(i)
			u := us[id-1]
			u.Name = name
			return u.ID, name, u.Save(e.ctx)
		}
	},
	"sqlx": func(e *env) updateFn {
		db := e.sqlx()
		var us []PlainUser
		if err := db.Select(&us, db.Rebind("SELECT "+userCols+" FROM users ORDER BY id LIMIT ?"), updateSet); err != nil {
			e.tb.Fatal(err)
		}
		return func(i int) (int64, string, error) {
			id, name := updateTarget(i)
			u := &us[id-1]
			u.Name = name
			return u.ID, name, oneRow(db.NamedExecContext(e.ctx, "UPDATE users SET name = :name WHERE id = :id", u))
		}
	},
	"gorm": func(e *env) updateFn {
		g := e.gorm()
		var us []GormUser
		if err := g.Order("id").Limit(updateSet).Find(&us).Error; err != nil {
			e.tb.Fatal(err)
		}
		return func(i int) (int64, string, error) {
			id, name := updateTarget(i)
			u := &us[id-1]
			res := g.WithContext(e.ctx).Model(u).Update("name", name)
			if res.Error == nil && res.RowsAffected != 1 {
				return 0, "", errRows
			}
			return u.ID, u.Name, res.Error
		}
	},
	"bun": func(e *env) updateFn {
		db := e.bun()
		var us []BunUser
		if err := db.NewSelect().Model(&us).Order("u.id").Limit(updateSet).Scan(context.Background()); err != nil {
			e.tb.Fatal(err)
		}
		return func(i int) (int64, string, error) {
			id, name := updateTarget(i)
			u := &us[id-1]
			u.Name = name
			return u.ID, name, oneRow(db.NewUpdate().Model(u).Column("name").WherePK().Exec(e.ctx))
		}
	},
}

// ---- DeleteOne: each call deletes one existing row by primary key.

var deleteLibs = map[string]func(e *env) deleteFn{
	"raw": func(e *env) deleteFn {
		st := e.prepare(deleteSQL)
		return func(id int64) error { return oneRow(st.ExecContext(e.ctx, id)) }
	},
	"sqlservice": func(e *env) deleteFn {
		return func(id int64) error {
			n, err := record.Destroy[User](e.ctx, id)
			if err == nil && n != 1 {
				return fmt.Errorf("%w: %d", errRows, n)
			}
			return err
		}
	},
	"sqlx": func(e *env) deleteFn {
		db := e.sqlx()
		q := db.Rebind(deleteSQL)
		return func(id int64) error { return oneRow(db.ExecContext(e.ctx, q, id)) }
	},
	"gorm": func(e *env) deleteFn {
		g := e.gorm()
		return func(id int64) error {
			res := g.WithContext(e.ctx).Delete(&GormUser{}, id)
			if res.Error == nil && res.RowsAffected != 1 {
				return fmt.Errorf("%w: %d", errRows, res.RowsAffected)
			}
			return res.Error
		}
	},
	"bun": func(e *env) deleteFn {
		db := e.bun()
		return func(id int64) error {
			return oneRow(db.NewDelete().Model((*BunUser)(nil)).Where("id = ?", id).Exec(e.ctx))
		}
	},
}

// ---- Tx: begin, insert one row, commit.

var txLibs = map[string]func(e *env) txFn{
	"raw": func(e *env) txFn {
		q := insertSQL
		if e.dialect == "postgres" {
			q += " RETURNING id"
		}
		st := e.prepare(q)
		return func() (id int64, err error) {
			tx, err := e.db.BeginTx(e.ctx, nil)
			if err != nil {
				return 0, err
			}
			defer func() {
				if err != nil {
					tx.Rollback()
				}
			}()
			u := newUser()
			if e.dialect == "postgres" {
				err = tx.StmtContext(e.ctx, st).QueryRowContext(e.ctx, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt).Scan(&id)
			} else {
				var res sql.Result
				if res, err = tx.StmtContext(e.ctx, st).ExecContext(e.ctx, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt); err == nil {
					id, err = res.LastInsertId()
				}
			}
			if err != nil {
				return 0, err
			}
			return id, tx.Commit()
		}
	},
	"sqlservice": func(e *env) txFn {
		return func() (int64, error) {
			p := newUser()
			u := &User{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			err := e.client.Transaction(e.ctx, func(ctx context.Context) error { return u.Save(ctx) })
			return u.ID, err
		}
	},
	"sqlx": func(e *env) txFn {
		db := e.sqlx()
		return func() (id int64, err error) {
			tx, err := db.BeginTxx(e.ctx, nil)
			if err != nil {
				return 0, err
			}
			if id, err = sqlxInsert(e.ctx, tx, e.dialect); err != nil {
				tx.Rollback()
				return 0, err
			}
			return id, tx.Commit()
		}
	},
	"gorm": func(e *env) txFn {
		g := e.gorm()
		return func() (int64, error) {
			p := newUser()
			u := &GormUser{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			err := g.WithContext(e.ctx).Transaction(func(tx *gorm.DB) error { return tx.Create(u).Error })
			return u.ID, err
		}
	},
	"bun": func(e *env) txFn {
		db := e.bun()
		return func() (int64, error) {
			p := newUser()
			u := &BunUser{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
			err := db.RunInTx(e.ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.NewInsert().Model(u).Exec(ctx)
				return err
			})
			return u.ID, err
		}
	},
}

// ---- ToMap: struct → map[string]any keyed by column name. The peers have
// no such method; each uses its own cached per-type metadata, the fastest
// way it offers. handwritten is the floor, structs the package that does it
// with reflection on every call.

var toMapUser = seedUser(41)

var toMapLibs = map[string]func(e *env) toMapFn{
	"handwritten": func(e *env) toMapFn {
		u := toMapUser
		return func() map[string]any {
			return map[string]any{"id": u.ID, "name": u.Name, "email": u.Email, "phone": u.Phone, "age": u.Age, "created_at": u.CreatedAt}
		}
	},
	"sqlservice": func(e *env) toMapFn {
		p := toMapUser
		u := &User{ID: p.ID, Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
		return func() map[string]any { return u.ToMap() }
	},
	"structs": func(e *env) toMapFn {
		u := toMapUser
		return func() map[string]any { return structs.Map(&u) }
	},
	"sqlx": func(e *env) toMapFn {
		u := toMapUser
		v := reflect.ValueOf(&u).Elem()
		tm := e.sqlx().Mapper.TypeMap(v.Type())
		return func() map[string]any {
			out := make(map[string]any, len(tm.Index))
			for _, fi := range tm.Index {
				out[fi.Name] = reflectx.FieldByIndexesReadOnly(v, fi.Index).Interface()
			}
			return out
		}
	},
	"gorm": func(e *env) toMapFn {
		p := toMapUser
		u := GormUser{ID: p.ID, Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
		v := reflect.ValueOf(&u).Elem()
		s, err := schema.Parse(&u, &sync.Map{}, schema.NamingStrategy{})
		if err != nil {
			e.tb.Fatal(err)
		}
		return func() map[string]any {
			out := make(map[string]any, len(s.Fields))
			for _, f := range s.Fields {
				out[f.DBName], _ = f.ValueOf(e.ctx, v)
			}
			return out
		}
	},
	"bun": func(e *env) toMapFn {
		p := toMapUser
		u := BunUser{ID: p.ID, Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
		v := reflect.ValueOf(&u).Elem()
		t := e.bun().Table(v.Type())
		return func() map[string]any {
			out := make(map[string]any, len(t.Fields))
			for _, f := range t.Fields {
				out[f.Name] = f.Value(v).Interface()
			}
			return out
		}
	},
}

// ---- Preload100x10: 100 authors and their 10 posts each, in two queries.

var preloadLibs = map[string]func(e *env) preloadFn{
	"sqlservice": func(e *env) preloadFn {
		return func(after int64) (preloadResult, error) {
			var r preloadResult
			authors, err := record.Query[Author](e.ctx).Where(builder.Gt{"id": after}).OrderBy("id").Limit(pageSize).Preload("Posts").All()
			for _, a := range authors {
				r.author()
				for _, p := range a.Posts {
					r.post(a.ID, p.AuthorID, p.ID, p.Title)
				}
			}
			return r, err
		}
	},
	"raw": func(e *env) preloadFn {
		as := e.prepare(authorsSQL)
		ps := e.prepare("SELECT id, author_id, title FROM posts WHERE author_id IN (" +
			strings.TrimSuffix(strings.Repeat("?, ", pageSize), ", ") + ")")
		return func(after int64) (preloadResult, error) {
			var r preloadResult
			rows, err := as.QueryContext(e.ctx, after)
			if err != nil {
				return r, err
			}
			authors := make([]*PlainAuthor, 0, pageSize)
			for rows.Next() {
				a := new(PlainAuthor)
				if err := rows.Scan(&a.ID, &a.Name); err != nil {
					rows.Close()
					return r, err
				}
				authors = append(authors, a)
			}
			if err := rows.Close(); err != nil {
				return r, err
			}
			if len(authors) != pageSize {
				return r, fmt.Errorf("%d authors", len(authors))
			}
			byID := make(map[int64]*PlainAuthor, len(authors))
			args := make([]any, len(authors))
			for i, a := range authors {
				byID[a.ID] = a
				args[i] = a.ID
			}
			if rows, err = ps.QueryContext(e.ctx, args...); err != nil {
				return r, err
			}
			for rows.Next() {
				var p PlainPost
				if err := rows.Scan(&p.ID, &p.AuthorID, &p.Title); err != nil {
					rows.Close()
					return r, err
				}
				if a := byID[p.AuthorID]; a != nil {
					a.Posts = append(a.Posts, p)
				}
			}
			if err := rows.Close(); err != nil {
				return r, err
			}
			for _, a := range authors {
				r.author()
				for _, p := range a.Posts {
					r.post(a.ID, p.AuthorID, p.ID, p.Title)
				}
			}
			return r, rows.Err()
		}
	},
	"sqlx": func(e *env) preloadFn {
		db := e.sqlx()
		aq := db.Rebind(authorsSQL)
		return func(after int64) (preloadResult, error) {
			var r preloadResult
			var authors []PlainAuthor
			if err := db.SelectContext(e.ctx, &authors, aq, after); err != nil {
				return r, err
			}
			ids := make([]int64, len(authors))
			byID := make(map[int64]*PlainAuthor, len(authors))
			for i := range authors {
				ids[i] = authors[i].ID
				byID[authors[i].ID] = &authors[i]
			}
			q, args, err := sqlx.In("SELECT id, author_id, title FROM posts WHERE author_id IN (?)", ids)
			if err != nil {
				return r, err
			}
			var posts []PlainPost
			if err := db.SelectContext(e.ctx, &posts, db.Rebind(q), args...); err != nil {
				return r, err
			}
			for _, p := range posts {
				if a := byID[p.AuthorID]; a != nil {
					a.Posts = append(a.Posts, p)
				}
			}
			for i := range authors {
				a := &authors[i]
				r.author()
				for _, p := range a.Posts {
					r.post(a.ID, p.AuthorID, p.ID, p.Title)
				}
			}
			return r, nil
		}
	},
	"gorm": func(e *env) preloadFn {
		g := e.gorm()
		return func(after int64) (preloadResult, error) {
			var r preloadResult
			var authors []GormAuthor
			err := g.WithContext(e.ctx).Preload("Posts").Where("id > ?", after).Order("id").Limit(pageSize).Find(&authors).Error
			for i := range authors {
				a := &authors[i]
				r.author()
				for _, p := range a.Posts {
					r.post(a.ID, p.AuthorID, p.ID, p.Title)
				}
			}
			return r, err
		}
	},
	"bun": func(e *env) preloadFn {
		db := e.bun()
		return func(after int64) (preloadResult, error) {
			var r preloadResult
			var authors []BunAuthor
			err := db.NewSelect().Model(&authors).Relation("Posts").Where("a.id > ?", after).Order("a.id").Limit(pageSize).Scan(e.ctx)
			for i := range authors {
				a := &authors[i]
				r.author()
				for _, p := range a.Posts {
					r.post(a.ID, p.AuthorID, p.ID, p.Title)
				}
			}
			return r, err
		}
	},
}

// ---- Aggregate: a reporting query, users grouped by age.

const aggregateSQL = "SELECT age, COUNT(*) AS n, MIN(id) AS first_id FROM users WHERE id > ? GROUP BY age HAVING COUNT(*) >= ? ORDER BY age"

// AgeStats is one row of Aggregate: a plain struct, no Base.
type AgeStats struct {
	Age     int   `db:"age"`
	N       int64 `db:"n"`
	FirstID int64 `db:"first_id"`
}

type aggregateFn func(after int64, atLeast int) (aggregateResult, error)

type aggregateResult struct {
	groups   int
	n        int64
	firstIDs int64
	ageSum   int
}

func (r *aggregateResult) add(s AgeStats) {
	r.groups++
	r.n += s.N
	r.firstIDs += s.FirstID
	r.ageSum += s.Age
}

var aggregateNames = []string{"raw", "sqlservice"}

var aggregateLibs = map[string]func(e *env) aggregateFn{
	"raw": func(e *env) aggregateFn {
		st := e.prepare(aggregateSQL)
		return func(after int64, atLeast int) (aggregateResult, error) {
			var r aggregateResult
			rows, err := st.QueryContext(e.ctx, after, atLeast)
			if err != nil {
				return r, err
			}
			defer rows.Close()
			for rows.Next() {
				var s AgeStats
				if err := rows.Scan(&s.Age, &s.N, &s.FirstID); err != nil {
					return r, err
				}
				r.add(s)
			}
			return r, rows.Err()
		}
	},
	"sqlservice": func(e *env) aggregateFn {
		return func(after int64, atLeast int) (aggregateResult, error) {
			var r aggregateResult
			rows, err := record.Scan[AgeStats](record.Query[User](e.ctx).
				Where(builder.Gt{"id": after}).
				Select("age", builder.Expr("COUNT(*) AS n"), builder.Expr("MIN(id) AS first_id")).
				GroupBy("age").
				Having(builder.Expr("COUNT(*) >= ?", atLeast)).
				OrderBy("age"))
			for _, s := range rows {
				r.add(s)
			}
			return r, err
		}
	},
}

// ---- BulkDiffUpdate10k: the rows of all seedUsers users as they were read
// and as they should be, as maps keyed by column; step s changes the name
// of every tenth row (those with index k%10 == s%10) and the age of every
// third of those, and writes the difference in one transaction. Both
// sides get the same maps and pay the same to move the changes from step
// to step.

type bulkDiffFn func(step int) (updated int64, err error)

// diffRows are the inputs of BulkDiffUpdate10k; rows is previous with the
// changes of the current step.
type diffRows struct {
	previous, rows []map[string]any
	names          [2][]string // the changed names of row k: steps alternate by tens, so a row's name changes in the database too
	step           int         // the step rows holds; -1 before the first
}

// diffChanged reports whether step s changes row k's name and its age.
func diffChanged(s, k int) (name, age bool) {
	return k%10 == s%10, k%30 == s%10
}

func newDiffRows() *diffRows {
	d := &diffRows{step: -1}
	for k := range seedUsers {
		u := seedUser(k)
		p := map[string]any{"id": u.ID, "name": u.Name, "email": u.Email, "phone": u.Phone, "age": u.Age, "created_at": u.CreatedAt}
		d.previous = append(d.previous, p)
		d.rows = append(d.rows, maps.Clone(p))
		d.names[0] = append(d.names[0], "Changed "+u.Name)
		d.names[1] = append(d.names[1], "Changed again "+u.Name)
	}
	return d
}

// at moves rows to step s: undoes the last step's changes, makes s's.
func (d *diffRows) at(s int) {
	if d.step >= 0 {
		for k := d.step % 10; k < seedUsers; k += 10 {
			d.rows[k]["name"], d.rows[k]["age"] = d.previous[k]["name"], d.previous[k]["age"]
		}
	}
	for k := s % 10; k < seedUsers; k += 10 {
		if _, age := diffChanged(s, k); age {
			d.rows[k]["age"] = d.previous[k]["age"].(int) + 1
		}
		d.rows[k]["name"] = d.names[s/10%2][k]
	}
	d.step = s
}

// diffColumns are the columns the hand-written diff compares, in the
// order its UPDATEs set them.
var diffColumns = []string{"name", "email", "phone", "age", "created_at"}

var bulkDiffLibs = map[string]func(e *env) bulkDiffFn{
	"raw": func(e *env) bulkDiffFn {
		d := newDiffRows()
		return func(step int) (int64, error) {
			d.at(step)
			prev := make(map[int64]map[string]any, len(d.previous))
			for _, p := range d.previous {
				prev[p["id"].(int64)] = p
			}
			tx, err := e.db.BeginTx(e.ctx, nil)
			if err != nil {
				return 0, err
			}
			stmts := map[string]*sql.Stmt{} // by the columns set
			fail := func(err error) (int64, error) {
				tx.Rollback()
				return 0, err
			}
			var set []string
			var args []any
			var updated int64
			for _, r := range d.rows {
				id := r["id"].(int64)
				p, ok := prev[id]
				if !ok {
					return fail(fmt.Errorf("no previous row %d", id))
				}
				set, args = set[:0], args[:0]
				for _, c := range diffColumns {
					v, ok := r[c]
					if !ok {
						continue
					}
					var same bool
					if t, ok := v.(time.Time); ok {
						pt, ok := p[c].(time.Time)
						same = ok && pt.Equal(t)
					} else {
						same = p[c] == v
					}
					if !same {
						set = append(set, c)
						args = append(args, v)
					}
				}
				if len(set) == 0 {
					continue
				}
				key := strings.Join(set, ",")
				st := stmts[key]
				if st == nil {
					q := "UPDATE users SET " + strings.Join(set, " = ?, ") + " = ? WHERE id = ?"
					if st, err = tx.PrepareContext(e.ctx, e.rebind(q)); err != nil {
						return fail(err)
					}
					stmts[key] = st
				}
				if err := oneRow(st.ExecContext(e.ctx, append(args, id)...)); err != nil {
					return fail(err)
				}
				updated++
			}
			for _, st := range stmts {
				st.Close()
			}
			return updated, tx.Commit()
		}
	},
	"sqlservice": func(e *env) bulkDiffFn {
		d := newDiffRows()
		return func(step int) (int64, error) {
			d.at(step)
			res, err := record.BulkDiffUpdate[User](e.ctx, []string{"id"}, d.previous, d.rows)
			if err != nil {
				return 0, err
			}
			return res.Updated + res.Inserted, nil
		}
	},
}
