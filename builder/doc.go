// Package builder turns registry models into SQL for each dialect: SQLite,
// MySQL/MariaDB and PostgreSQL, each a Dialect in its own file.
//
// The text of the fixed statements of a model (select, insert, upsert,
// update and delete by primary key, create and drop table) is built with
// squirrel once per model and dialect and cached in Statements; ad-hoc
// queries use squirrel per call through Select, Count and DeleteWhere, with
// criteria checked by Resolve and ParseOrder against the model so that an
// unknown column is an error before any SQL exists. Identifiers are always
// quoted; values are always placeholders.
//
//	st := builder.For(builder.Postgres, m)
//	st.Get    // SELECT "id", "name" FROM "user" WHERE "id" = $1
//
// The criteria types (Eq, Gt, Like, And, Or, ...) are squirrel's, re-exported.
package builder
