// Package launch is the shared main of the three services: flags with
// environment defaults, the service's own database, schema migration, and the
// HTTP API until SIGINT/SIGTERM.
package launch

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"gorm.io/gorm"

	"github.com/sagaforge/saga/database"
	"github.com/sagaforge/saga/httpserver"
	"github.com/sagaforge/saga/process"
)

// Service describes one service binary.
type Service struct {
	// Name is the service's name, also the prefix of its environment
	// variables (ORDER_ADDR, ORDER_DB).
	Name        string
	DefaultAddr string
	// Build migrates the schema and returns the HTTP API.
	Build func(ctx context.Context, db *gorm.DB, log *slog.Logger, token string) (http.Handler, error)
}

// Main runs the service and exits the process when it stops.
func Main(s Service) {
	prefix := strings.ToUpper(s.Name)
	fs := flag.NewFlagSet(s.Name, flag.ContinueOnError)
	addr := fs.String("addr", process.Env(prefix+"_ADDR", s.DefaultAddr), "listen address (env "+prefix+"_ADDR)")
	dbPath := fs.String("db", process.Env(prefix+"_DB", ".data/"+s.Name+".db"), "SQLite database file (env "+prefix+"_DB)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	log := process.Logger(s.Name)
	ctx, stop := process.SignalContext()
	defer stop()
	if err := run(ctx, s, log, *addr, *dbPath, os.Getenv("SAGA_SERVICE_TOKEN")); err != nil {
		log.Error("stopped", "err", err)
		os.Exit(1)
	}
	log.Info("stopped")
}

func run(ctx context.Context, s Service, log *slog.Logger, addr, dbPath, token string) error {
	db, err := database.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer database.Close(db)
	h, err := s.Build(ctx, db, log, token)
	if err != nil {
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	log.Info("database ready", "path", dbPath)
	return httpserver.Serve(ctx, log, addr, h, nil)
}
