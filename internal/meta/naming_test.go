package meta_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/record"
)

func TestNamings(t *testing.T) {
	cases := []struct {
		goName, snake, pascal, snakeFK, pascalFK string
	}{
		{"Album", "album", "Album", "album_id", "AlbumId"},
		{"AlbumID", "album_id", "AlbumId", "album_id_id", "AlbumIdId"},
		{"AlbumId", "album_id", "AlbumId", "album_id_id", "AlbumIdId"},
		{"PlaylistTrack", "playlist_track", "PlaylistTrack", "playlist_track_id", "PlaylistTrackId"},
		{"HTTPServer", "http_server", "HttpServer", "http_server_id", "HttpServerId"},
		{"ID", "id", "Id", "id_id", "IdId"},
		{"Line2", "line2", "Line2", "line2_id", "Line2Id"},
	}
	for _, c := range cases {
		t.Run(c.goName, func(t *testing.T) {
			assert.Equal(t, c.snake, meta.SnakeNaming.Name(c.goName))
			assert.Equal(t, c.pascal, meta.PascalNaming.Name(c.goName))
			assert.Equal(t, c.snakeFK, meta.SnakeNaming.ForeignKey(c.goName))
			assert.Equal(t, c.pascalFK, meta.PascalNaming.ForeignKey(c.goName))
		})
	}
}

// chinook gives every model that embeds it PascalCase names.
type chinook struct{}

func (chinook) Naming() meta.Naming { return meta.PascalNaming }

type Artist struct {
	record.Base[Artist]
	chinook
	ArtistID int64 `db:",pk"`
	Name     *string
	Albums   []Album
}

func (Album) TableName() string { return "Albums" } // TableName still wins

type Album struct {
	record.Base[Album]
	chinook
	AlbumID  int64 `db:",pk"`
	Title    string
	ArtistID int64   // ArtistId: the foreign key to Artist by the naming
	Artist   *Artist // belongs-to through ArtistId
}

type namingPlain struct {
	ID       int64 `db:"id,pk"`
	ArtistID int64
}

func TestNamingPerModel(t *testing.T) {
	artist, err := meta.Of[Artist]()
	require.NoError(t, err)
	album, err := meta.Of[Album]()
	require.NoError(t, err)
	assert.Equal(t, "Artist", artist.Table)
	assert.Equal(t, "Albums", album.Table)
	assert.Equal(t, []string{"ArtistId", "Name"}, artist.ColumnNames())
	assert.Equal(t, []string{"AlbumId", "Title", "ArtistId"}, album.ColumnNames())
	assert.Equal(t, meta.PascalNaming, album.Naming)

	belongs, ok := album.Relation("Artist")
	require.True(t, ok)
	assert.Equal(t, meta.BelongsTo, belongs.Kind)
	assert.Equal(t, "ArtistId", belongs.FK.Name)
	assert.Equal(t, "ArtistId", belongs.Ref.Name)

	many, ok := artist.Relation("Albums")
	require.True(t, ok)
	assert.Equal(t, meta.HasMany, many.Kind)
	assert.Equal(t, "ArtistId", many.FK.Name)

	plain, err := meta.Of[namingPlain]()
	require.NoError(t, err)
	assert.Equal(t, "naming_plain", plain.Table, "snake_case stays the default")
	assert.Equal(t, []string{"id", "artist_id"}, plain.ColumnNames())
	assert.Equal(t, meta.SnakeNaming, plain.Naming)
}
