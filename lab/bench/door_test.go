package bench

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sagaforge/saga/internal/saga"
)

// The targets are the bench's mix, one purchase a line, in the mode asked,
// each asking to wait for its outcome and naming no order.
func TestDoorTargetsAreTheMixInTheModeAsked(t *testing.T) {
	var b strings.Builder
	d := Door{URL: "http://127.0.0.1:8080", Token: "s3cret"}
	if err := d.Targets(&b, saga.Direct, 20); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	var customers []string
	for sc.Scan() {
		var tg struct {
			Method, URL string
			Body        []byte
			Header      map[string][]string
		}
		if err := json.Unmarshal(sc.Bytes(), &tg); err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal(tg.Body, &body); err != nil {
			t.Fatal(err)
		}
		if tg.Method != "POST" || tg.URL != "http://127.0.0.1:8080/purchases" || body["mode"] != "direct" || body["order_id"] != nil ||
			tg.Header["Prefer"][0] != "wait=30" || tg.Header["Authorization"][0] != "Bearer s3cret" {
			t.Fatalf("target %s", sc.Text())
		}
		customers = append(customers, body["customer_id"].(string))
	}
	if len(customers) != 20 || customers[7] != "bob" || customers[0] != "alice" {
		t.Fatalf("the mix: %v", customers)
	}
}

// vegeta's results are read as the saga's outcome when answered 200 with
// a settled status, and as a failure otherwise; the line each worker ends
// with once the targets are spent is no request.
func TestVegetaResultsAreReadAsOutcomes(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	line := func(code int, errText, body, method string) []byte {
		b, _ := json.Marshal(map[string]any{"code": code, "timestamp": at, "latency": int64(5 * time.Millisecond),
			"error": errText, "body": []byte(body), "method": method})
		return b
	}
	cases := []struct {
		name         string
		line         []byte
		ok           bool
		status, fail string
	}{
		{"approved", line(200, "", `{"status":"APPROVED"}`, "POST"), true, "APPROVED", ""},
		{"cancelled", line(200, "", `{"status":"CANCELLED"}`, "POST"), true, "CANCELLED", ""},
		{"still running", line(202, "", `{"status":"RUNNING"}`, "POST"), true, "", "HTTP 202: "},
		{"refused", line(400, "", `{"detail":"bad mode"}`, "POST"), true, "", "HTTP 400: bad mode"},
		{"timed out", line(0, "context deadline exceeded", ``, "POST"), true, "", "context deadline exceeded"},
		{"targets spent", line(0, noTargets, ``, ""), false, "", ""},
	}
	for _, c := range cases {
		a, ok, err := parseVegeta(c.line)
		if err != nil || ok != c.ok || a.status != c.status || a.err != c.fail {
			t.Errorf("%s: got %+v ok=%v err=%v", c.name, a, ok, err)
		}
		if ok && (a.latency != 5*time.Millisecond || !a.at.Equal(at.Add(5*time.Millisecond))) {
			t.Errorf("%s: answered at %v after %v", c.name, a.at, a.latency)
		}
	}
}

// ab's report, as ab 2.3 prints it.
const abText = `This is ApacheBench, Version 2.3 <$Revision: 1913912 $>
Benchmarking 127.0.0.1 (be patient).....done

Server Software:
Document Path:          /purchases
Concurrency Level:      8
Time taken for tests:   1.092 seconds
Complete requests:      200
Failed requests:        3
   (Connect: 0, Receive: 0, Length: 3, Exceptions: 0)
Non-2xx responses:      2
Keep-Alive requests:    200
Requests per second:    183.15 [#/sec] (mean)

Percentage of the requests served within a certain time (ms)
  50%     40
  66%     45
  75%     49
  80%     51
  90%     57
  95%     62
  98%     64
  99%     66
 100%     71 (longest request)
`

// An answer that is not 200 is a failure; one whose length differs from
// the first answer's, which ab also counts as failed, is not.
func TestABReportIsRead(t *testing.T) {
	r, err := parseAB(abText)
	if err != nil {
		t.Fatal(err)
	}
	want := abReport{seconds: 1.092, perSecond: 183.15, p50: 40, p95: 62, p99: 66, max: 71, complete: 200, failed: 2}
	if r != want {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	if _, err := parseAB("ab: invalid URL\n"); err == nil {
		t.Fatal("a report without figures must be an error")
	}
}

// A process's CPU time is read from its stat line, whatever its name
// holds, in ticks of 10 ms: utime, stime and its reaped children's.
func TestProcStatIsRead(t *testing.T) {
	line := "4242 (temporal (dev) x) S 4000 4242 4000 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 12 0 100 0 0"
	st, ok := parseStat(line)
	if !ok || st.ppid != 4000 || st.cpu != 3100*time.Millisecond {
		t.Fatalf("got %+v, %v", st, ok)
	}
	if _, ok := parseStat("4242 (cut"); ok {
		t.Fatal("a cut line must not parse")
	}
}
