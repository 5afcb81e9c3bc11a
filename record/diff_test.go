package record_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
)

// recordModels are the models of this package's suites.
var recordModels = []any{AModel{}, Article{}, Audit{}, Badge{}, BenchChild{}, BenchParent{}, BenchUser{}, BinChild{}, BinKey{}, BinPair{}, Book{}, CModel{}, ConAuthor{}, ConBook{}, ConStock{}, Contact{}, Counted{}, Counter{}, Customer{}, DModel{}, DiaChildU64{}, DiaEvent{}, DiaKey32{}, DiaKey64{}, DiaKeyInt{}, DiaKeyU32{}, DiaKeyU64{}, DiaNulls{}, DiaNumber{}, DiaUser{}, DiaValue{}, Doc{}, DocChild{}, DocParent{}, Edge{}, Hooked{}, HookedBenchUser{}, Invoice{}, IterRow{}, Label{}, Member{}, MemberProfile{}, MemberRole{}, Membership{}, Node{}, Numbers{}, PacketDoc{}, Payload{}, Payment{}, Person{}, Plain{}, Player{}, PropRec{}, QueryA{}, QueryB{}, QueryC{}, QueryD{}, RepAuthor{}, RepPost{}, RolePermission{}, Shift{}, SoakRow{}, Squad{}, Story{}, Subscriber{}, Team{}, TeamSeat{}, Ticket{}, TicketNote{}, TicketWatch{}, Topic{}, Transfer{}, VCounter{}, VDoc{}, Wide100{}, Writer{},
	Album{}, Artist{}, Course{}, Employee{}, Enrollment{}, LateEntry{}, LateList{}, LateTrack{}, MixEntry{}, MixPlaylist{}, MixTrack{}, Playlist{}, PlaylistTrack{}, Sale{}, SaleLine{}, Student{}, Track{}, DriverRow{},
	HardChild{}, HardParent{}, Note{}, SoftComment{}, SoftPost{}, SoftTag{}, SurfCustomer{}, SurfKey{}, SurfOrder{}, ForkNote{},
	Shelf{}, ShelfBook{}, BookNote{}, ShelfCover{}, TimeKeyed{}}

func TestDiffFindsNothingAfterCreateAll(t *testing.T) {
	var listed []string
	for _, m := range recordModels {
		listed = append(listed, reflect.TypeOf(m).Name())
	}
	require.ElementsMatch(t, dbtest.ModelTypeNames(t, ".", "*_test.go"), listed, "every model of the suites is listed")
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		bad := dbtest.AssertDiffEmpty(t, db, recordModels)
		assert.Empty(t, bad, "models that do not register")
	})
}
