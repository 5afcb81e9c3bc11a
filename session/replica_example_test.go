package session_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sqlservice/sqlservice/session"
)

func ExampleClient_Replicas() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	db, err := session.OpenMap(map[string]any{
		"SQL_DATABASE_URI": "sqlite:///" + filepath.Join(dir, "primary.db"),
		// A list, or one comma-separated string. Server URIs work the same:
		// "mysql://app:secret@replica-1:3306/app, mysql://app:secret@replica-2:3306/app".
		"SQL_DATABASE_REPLICAS": []string{"sqlite:///" + filepath.Join(dir, "replica.db")},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := db.CheckReplicas(context.Background()); err != nil { // ping them all now
		log.Fatal(err)
	}
	for _, r := range db.Replicas() {
		fmt.Println(r.Name, "healthy:", r.Healthy, "open connections:", r.DB.Stats().OpenConnections)
	}
	// Output:
	// replica:1 healthy: true open connections: 1
}
