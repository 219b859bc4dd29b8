// Command healthcheck exits 0 when a URL answers 2xx within two seconds. The
// container images have no curl; docker-compose's health checks run this.
//
//	healthcheck http://127.0.0.1:8081/healthz
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: healthcheck URL")
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
