// Command healthcheck exits 0 when a URL answers 2xx within two seconds. The
// container images have no curl; docker-compose's health checks run this.
//
//	healthcheck http://127.0.0.1:8081/healthz
package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/platform/process"
)

func main() {
	const usage = "usage: healthcheck URL: exit 0 when it answers 2xx within two seconds, else 1 (--version prints the version)"
	switch {
	case len(os.Args) == 2 && (os.Args[1] == "-h" || os.Args[1] == "-help" || os.Args[1] == "--help"):
		fmt.Println(usage)
		os.Exit(0)
	case len(os.Args) == 2 && (os.Args[1] == "-version" || os.Args[1] == "--version"):
		fmt.Println("healthcheck", process.Version())
		os.Exit(0)
	case len(os.Args) == 2 && strings.HasPrefix(os.Args[1], "-"):
		fmt.Fprintf(os.Stderr, "healthcheck: unknown flag %s\n%s\n", os.Args[1], usage)
		os.Exit(2)
	case len(os.Args) != 2:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		fmt.Fprintln(os.Stderr, "healthcheck:", os.Args[1], "answered", resp.Status)
		os.Exit(1)
	}
}
