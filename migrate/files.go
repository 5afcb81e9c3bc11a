package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/sqlservice/sqlservice/session"
)

// Migration is one numbered pair of files.
type Migration struct {
	Version  int64
	Name     string // the part of the file name after the number: "create_users"
	UpFile   string // the file names, relative to the directory
	DownFile string // "" when the migration has no down file
	Up       string // the files' text
	Down     string
	Checksum string // SHA-256 of the up file (line endings as \n), hex
}

// ErrBadFile is matched by the error Load returns for a file name or a set
// of files it cannot read as migrations.
var ErrBadFile = errors.New("migrate: bad migration file")

var fileName = regexp.MustCompile(`^(\d+)_([A-Za-z0-9_\-]+)\.(up|down)\.sql$`)

// Load reads the migrations of a directory (os.DirFS, an embed.FS) in
// version order. Files that do not end in .sql are ignored; a .sql file
// whose name is not NNNN_name.up.sql or NNNN_name.down.sql, two
// migrations with one version, or a down file without its up file is an
// error matching ErrBadFile.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrate: read migrations: %w", err)
	}
	byVersion := map[int64]*Migration{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("%w: %s: want NNNN_name.up.sql or NNNN_name.down.sql", ErrBadFile, e.Name())
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: version %s: %v", ErrBadFile, e.Name(), m[1], err)
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", e.Name(), err)
		}
		text := strings.ReplaceAll(string(b), "\r\n", "\n")
		mg := byVersion[v]
		if mg == nil {
			mg = &Migration{Version: v, Name: m[2]}
			byVersion[v] = mg
		}
		if mg.Name != m[2] {
			return nil, fmt.Errorf("%w: version %d is both %s and %s", ErrBadFile, v, mg.Name, m[2])
		}
		if m[3] == "up" {
			if mg.UpFile != "" {
				return nil, fmt.Errorf("%w: version %d has two up files: %s and %s", ErrBadFile, v, mg.UpFile, e.Name())
			}
			mg.UpFile, mg.Up, mg.Checksum = e.Name(), text, checksum(text)
		} else {
			if mg.DownFile != "" {
				return nil, fmt.Errorf("%w: version %d has two down files: %s and %s", ErrBadFile, v, mg.DownFile, e.Name())
			}
			mg.DownFile, mg.Down = e.Name(), text
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.UpFile == "" {
			return nil, fmt.Errorf("%w: %s has no up file", ErrBadFile, m.DownFile)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

func checksum(text string) string {
	h := sha256.Sum256([]byte(text))
	return hex.EncodeToString(h[:])
}

var nameOK = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// Create writes the next migration pair into dir (created if missing):
// the version one above the highest there, four digits wide at least, and
// returns it. name may hold letters, digits, _ and -.
func Create(dir, name, up, down string) (Migration, error) {
	if !nameOK.MatchString(name) {
		return Migration{}, fmt.Errorf("migrate: name %q: use letters, digits, _ and -", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Migration{}, fmt.Errorf("migrate: %w", err)
	}
	existing, err := Load(os.DirFS(dir))
	if err != nil {
		return Migration{}, err
	}
	var v int64 = 1
	if n := len(existing); n > 0 {
		v = existing[n-1].Version + 1
	}
	m := Migration{Version: v, Name: name, Up: up, Down: down, Checksum: checksum(up)}
	m.UpFile = fmt.Sprintf("%04d_%s.up.sql", v, name)
	m.DownFile = fmt.Sprintf("%04d_%s.down.sql", v, name)
	for _, f := range []struct{ name, text string }{{m.UpFile, up}, {m.DownFile, down}} {
		p := filepath.Join(dir, f.name)
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return Migration{}, fmt.Errorf("migrate: %w", err)
		}
		_, err = fh.WriteString(f.text)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return Migration{}, fmt.Errorf("migrate: write %s: %w", path.Base(p), err)
		}
	}
	return m, nil
}

// FromPlan writes a Diff plan as the text of a migration pair: each step's
// statements under a comment that describes it, and in down the steps'
// Down statements, last step first. Destructive steps are written
// commented out, to be enabled by a person who read them, unless
// destructive is true.
func FromPlan(p *session.Plan, destructive bool) (up, down string) {
	var u, d strings.Builder
	head := fmt.Sprintf("-- Written by sqlservice from a diff of the models and a %s database.\n", p.Dialect)
	if p.Dialect == "sqlite" {
		head += "-- The runner turns foreign_keys off around the transaction and checks them before the commit.\n"
	}
	u.WriteString(head)
	d.WriteString(head)
	write := func(b *strings.Builder, s session.Step, stmts []string) {
		b.WriteString("\n-- " + s.Description + "\n")
		off := s.Destructive && !destructive
		if off {
			b.WriteString("-- DESTRUCTIVE: written commented out; remove the -- to run it.\n")
		}
		for _, q := range stmts {
			line := q + ";"
			if off {
				line = "-- " + strings.ReplaceAll(line, "\n", "\n-- ")
			}
			b.WriteString(line + "\n")
		}
	}
	for _, s := range p.Steps {
		write(&u, s, s.Up)
	}
	for i := len(p.Steps) - 1; i >= 0; i-- {
		write(&d, p.Steps[i], p.Steps[i].Down)
	}
	for _, n := range p.Notes {
		u.WriteString("\n-- Not written (do it by hand): " + n + "\n")
	}
	return u.String(), d.String()
}
