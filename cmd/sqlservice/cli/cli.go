// Package cli is the sqlservice command line: versioned migrations (new,
// up, down, status, and diff, which writes the next migration from the
// difference between your models and the database) and gen (model structs
// from an existing database).
//
// The command sees your models because you hand them over: Diff needs the
// Go types, and Go cannot load them from a package path at run time. Put a
// small main in your project, for example in cmd/dbtool/main.go:
//
//	package main
//
//	import (
//		"github.com/sqlservice/sqlservice/cmd/sqlservice/cli"
//		"example.com/app/models"
//	)
//
//	func main() { cli.Main(models.User{}, models.Order{}) }
//
// and run it with go run ./cmd/dbtool migrate diff add_orders. The plain
// command (go install github.com/sqlservice/sqlservice/cmd/sqlservice)
// has no models: everything but migrate diff works with it.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sqlservice/sqlservice/cmd/sqlservice/gen"
	"github.com/sqlservice/sqlservice/migrate"
	"github.com/sqlservice/sqlservice/session"
)

// URIEnv is the environment variable read for the database URI when -uri
// is not given (then DATABASE_URL).
const URIEnv = "SQLSERVICE_DATABASE_URI"

const usage = `usage: sqlservice [-uri URI] [-dir DIR] COMMAND

  migrate new NAME              write an empty migration pair NNNN_NAME.up.sql / .down.sql
  migrate up [-to VERSION]      apply the pending migrations in order
  migrate down                  undo the last applied migration
  migrate status                list the migrations and whether each is applied
  migrate diff [-destructive] NAME
                                write the next migration from the difference between
                                the models and the database (destructive steps are
                                written commented out unless -destructive)
  gen [-pkg NAME] [-o FILE] [-tables T1,T2]
                                write model structs from the database (stdout by default)

  -uri  the database URI (default $SQLSERVICE_DATABASE_URI, then $DATABASE_URL)
  -dir  the migrations directory (default migrations)
`

// ErrUsage is matched by the error Run returns for a command line it does
// not understand.
var ErrUsage = errors.New("sqlservice: bad command line")

// Main runs the command line of os.Args with the given models and exits:
// status 0 on success, 2 on a usage error, 1 on any other error.
func Main(models ...any) {
	err := Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, models...)
	switch {
	case err == nil:
		os.Exit(0)
	case errors.Is(err, ErrUsage):
		fmt.Fprintln(os.Stderr, err)
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type env struct {
	uri, dir string
	out      io.Writer
	models   []any
}

func commonFlags(fs *flag.FlagSet, e *env) {
	fs.StringVar(&e.uri, "uri", e.uri, "database URI")
	fs.StringVar(&e.dir, "dir", e.dir, "migrations directory")
}

// Run runs one command line (without the program name), writing to stdout;
// see the package documentation. It returns an error matching ErrUsage for
// a command line it does not understand.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, models ...any) error {
	e := &env{uri: os.Getenv(URIEnv), dir: "migrations", out: stdout, models: models}
	if e.uri == "" {
		e.uri = os.Getenv("DATABASE_URL")
	}
	top := flag.NewFlagSet("sqlservice", flag.ContinueOnError)
	top.SetOutput(stderr)
	commonFlags(top, e)
	if err := top.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	rest := top.Args()
	if len(rest) == 0 {
		return fmt.Errorf("%w: no command", ErrUsage)
	}
	switch rest[0] {
	case "migrate":
		if len(rest) < 2 {
			return fmt.Errorf("%w: migrate needs new, up, down, status or diff", ErrUsage)
		}
		return e.migrate(ctx, rest[1], rest[2:], stderr)
	case "gen":
		return e.gen(ctx, rest[1:], stderr)
	case "help", "-h", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("%w: unknown command %q", ErrUsage, rest[0])
}

func (e *env) open() (*session.Client, error) {
	if e.uri == "" {
		return nil, fmt.Errorf("%w: no database: give -uri or set %s", ErrUsage, URIEnv)
	}
	return session.Open(session.Config{DatabaseURI: e.uri})
}

func (e *env) runner(ctx context.Context) (*session.Client, *migrate.Runner, error) {
	c, err := e.open()
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(e.dir, 0o755); err != nil {
		c.Close()
		return nil, nil, err
	}
	r, err := migrate.New(c, os.DirFS(e.dir))
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, r, nil
}

func (e *env) migrate(ctx context.Context, cmd string, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonFlags(fs, e)
	to := fs.Int64("to", 0, "apply up to this version")
	destructive := fs.Bool("destructive", false, "write destructive steps uncommented")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	pos := fs.Args()
	needName := func() (string, error) {
		if len(pos) != 1 {
			return "", fmt.Errorf("%w: migrate %s needs one NAME", ErrUsage, cmd)
		}
		return pos[0], nil
	}
	switch cmd {
	case "new":
		name, err := needName()
		if err != nil {
			return err
		}
		m, err := migrate.Create(e.dir, name, "-- "+name+": the change\n", "-- "+name+": how to undo it\n")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "wrote %s and %s\n", filepath.Join(e.dir, m.UpFile), filepath.Join(e.dir, m.DownFile))
		return nil
	case "up", "down", "status":
		if len(pos) != 0 {
			return fmt.Errorf("%w: migrate %s takes no arguments", ErrUsage, cmd)
		}
		c, r, err := e.runner(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		switch cmd {
		case "up":
			var ran []migrate.Migration
			if *to > 0 {
				ran, err = r.UpTo(ctx, *to)
			} else {
				ran, err = r.Up(ctx)
			}
			for _, m := range ran {
				fmt.Fprintf(e.out, "applied %s\n", m.UpFile)
			}
			if err == nil && len(ran) == 0 {
				fmt.Fprintln(e.out, "nothing to apply")
			}
			return err
		case "down":
			m, err := r.Down(ctx)
			if err == nil {
				if m == nil {
					fmt.Fprintln(e.out, "nothing to undo")
				} else {
					fmt.Fprintf(e.out, "undid %s\n", m.DownFile)
				}
			}
			return err
		}
		st, err := r.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT")
		for _, s := range st {
			state, at := "pending", ""
			switch {
			case s.Missing:
				state = "applied, file missing"
			case s.Changed:
				state = "applied, file edited since"
			case s.Applied:
				state = "applied"
			}
			if s.Applied {
				at = s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strconv.FormatInt(s.Version, 10), s.Name, state, at)
		}
		return tw.Flush()
	case "diff":
		name, err := needName()
		if err != nil {
			return err
		}
		if len(e.models) == 0 {
			return fmt.Errorf("%w: migrate diff needs your models: write a main that calls cli.Main(models...) (see the package documentation of github.com/sqlservice/sqlservice/cmd/sqlservice/cli)", ErrUsage)
		}
		c, r, err := e.runner(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		st, err := r.Status(ctx)
		if err != nil {
			return err
		}
		var pending []string
		for _, s := range st {
			if !s.Applied {
				pending = append(pending, fmt.Sprintf("%d_%s", s.Version, s.Name))
			}
		}
		if len(pending) > 0 {
			return fmt.Errorf("sqlservice: apply the pending migrations first (migrate up): %s", strings.Join(pending, ", "))
		}
		plan, err := c.Diff(ctx, e.models...)
		if err != nil {
			return err
		}
		if plan.Empty() && len(plan.Notes) == 0 {
			fmt.Fprintln(e.out, "the database matches the models: nothing written")
			return nil
		}
		up, down := migrate.FromPlan(plan, *destructive)
		m, err := migrate.Create(e.dir, name, up, down)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "wrote %s and %s (%d steps", filepath.Join(e.dir, m.UpFile), filepath.Join(e.dir, m.DownFile), len(plan.Steps))
		if n := len(plan.Destructive()); n > 0 && !*destructive {
			fmt.Fprintf(e.out, ", %d destructive written commented out", n)
		}
		fmt.Fprintln(e.out, ")")
		for _, n := range plan.Notes {
			fmt.Fprintf(e.out, "not written, do it by hand: %s\n", n)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown migrate command %q", ErrUsage, cmd)
}

func (e *env) gen(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonFlags(fs, e)
	pkg := fs.String("pkg", "models", "package name")
	out := fs.String("o", "", "output file (default stdout)")
	tables := fs.String("tables", "", "comma-separated tables (default all)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: gen takes no arguments", ErrUsage)
	}
	c, err := e.open()
	if err != nil {
		return err
	}
	defer c.Close()
	opts := gen.Options{Package: *pkg}
	if *tables != "" {
		opts.Tables = strings.Split(*tables, ",")
	}
	src, err := gen.Generate(ctx, c, opts)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = e.out.Write(src)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "wrote %s\n", *out)
	return nil
}
