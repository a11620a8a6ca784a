package report

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// A tiny Chrome DevTools Protocol client: enough to open a page in headless
// Chromium, watch its console and network, evaluate scripts, click, and
// take a screenshot.

// chromium finds (or installs, through hack/chromium.sh) a Chromium, or
// skips the test saying why.
func chromium(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("../../hack/chromium.sh").Output()
	path := strings.TrimSpace(string(out))
	if err != nil || path == "" {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		t.Skipf("skipping the browser test: Chromium is not installed and cannot be installed here (%v: %s); install Debian's chromium package or set NETAUDIT_CHROMIUM", err, msg)
	}
	return path
}

type browser struct {
	t        *testing.T
	targetID string // the page's, in the shared browser
	ws       *websocket.Conn
	mu       sync.Mutex
	nextID   int
	wait     map[int]chan cdpMessage
	events   chan cdpMessage

	// Collected from the page's events.
	consoleErrors []string
	requests      []string
}

type cdpMessage struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

var devtoolsLine = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// The package's tests share one headless Chromium (started by the first
// test that needs it, stopped by TestMain): starting one costs about 1.7 s of
// CPU, a page in it little. Each test gets a page of its own.
var shared struct {
	once    sync.Once
	cmd     *exec.Cmd
	profile string
	host    string // the DevTools HTTP endpoint, host:port
	err     error
}

// TestMain stops the shared browser once the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	stopSharedBrowser()
	os.Exit(code)
}

// launch runs headless Chromium as the test setup requires (root, no
// sandbox, nothing in the background that could reach the network) with a
// fresh profile.
func launch(bin string) error {
	// A fresh profile, removed once the browser and its helpers are gone.
	profile, err := os.MkdirTemp("", "netaudit-chromium-")
	if err != nil {
		return err
	}
	shared.profile = profile
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank")
	// Its own process group, so that closing ends its helper processes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %v", bin, err)
	}
	shared.cmd = cmd
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case browserURL := <-found:
		host := strings.TrimPrefix(browserURL, "ws://")
		shared.host = host[:strings.Index(host, "/")]
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("Chromium did not print its DevTools address within 30s")
	}
}

func stopSharedBrowser() {
	if shared.cmd != nil && shared.cmd.Process != nil {
		_ = syscall.Kill(-shared.cmd.Process.Pid, syscall.SIGKILL)
		_ = shared.cmd.Wait()
	}
	if shared.profile == "" {
		return
	}
	for i := 0; i < 20; i++ {
		if err := os.RemoveAll(shared.profile); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startBrowser opens a new page, width x height, in the shared headless
// Chromium and attaches to it; the page closes when the test ends.
func startBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	bin := chromium(t)
	shared.once.Do(func() { shared.err = launch(bin) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	// A page target of its own (PUT: Chromium refuses GET here).
	var target struct{ ID, WebSocketDebuggerURL string }
	if err := devtoolsJSON(http.MethodPut, "http://"+shared.host+"/json/new?about:blank", &target); err != nil || target.WebSocketDebuggerURL == "" {
		t.Fatalf("Chromium opens no page: %v", err)
	}
	b := &browser{t: t, targetID: target.ID, wait: map[int]chan cdpMessage{}, events: make(chan cdpMessage, 1024)}
	t.Cleanup(b.close)
	ws, err := websocket.Dial(target.WebSocketDebuggerURL, "", "http://localhost/")
	if err != nil {
		t.Fatalf("attaching to the page: %v", err)
	}
	ws.MaxPayloadBytes = 64 << 20
	b.ws = ws
	go b.read()
	for _, m := range []string{"Runtime.enable", "Log.enable", "Network.enable", "Page.enable"} {
		b.call(m, nil)
	}
	// The viewport a window of width x height would have.
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false})
	// The network is off: the page must not need it.
	b.call("Network.emulateNetworkConditions", map[string]any{"offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
	return b
}

// devtoolsJSON asks DevTools' HTTP endpoint on the loopback, never through
// a proxy, and decodes its answer into v.
func devtoolsJSON(method, url string, v any) error {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func (b *browser) read() {
	for {
		var msg cdpMessage
		if err := websocket.JSON.Receive(b.ws, &msg); err != nil {
			close(b.events)
			return
		}
		if msg.ID != 0 {
			b.mu.Lock()
			ch := b.wait[msg.ID]
			delete(b.wait, msg.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- msg
			}
			continue
		}
		b.record(msg)
		select {
		case b.events <- msg:
		default: // nobody waits for old events
		}
	}
}

// record keeps console errors, uncaught exceptions and network requests.
func (b *browser) record(msg cdpMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch msg.Method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string
			Args []struct {
				Value       any
				Description string
			}
		}
		_ = json.Unmarshal(msg.Params, &p)
		if p.Type == "error" || p.Type == "assert" {
			var parts []string
			for _, a := range p.Args {
				parts = append(parts, fmt.Sprint(a.Value, a.Description))
			}
			b.consoleErrors = append(b.consoleErrors, "console."+p.Type+": "+strings.Join(parts, " "))
		}
	case "Runtime.exceptionThrown":
		b.consoleErrors = append(b.consoleErrors, "exception: "+string(msg.Params))
	case "Log.entryAdded":
		var p struct {
			Entry struct{ Level, Text, URL string }
		}
		_ = json.Unmarshal(msg.Params, &p)
		if p.Entry.Level == "error" {
			b.consoleErrors = append(b.consoleErrors, "log: "+p.Entry.Text+" "+p.Entry.URL)
		}
	case "Network.requestWillBeSent":
		var p struct{ Request struct{ URL string } }
		_ = json.Unmarshal(msg.Params, &p)
		b.requests = append(b.requests, p.Request.URL)
	}
}

// call sends a command and returns its result.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	if params == nil {
		params = map[string]any{}
	}
	if err := websocket.JSON.Send(b.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	select {
	case msg := <-ch:
		if msg.Error != nil {
			b.t.Fatalf("%s: %s", method, msg.Error.Message)
		}
		return msg.Result
	case <-time.After(60 * time.Second):
		b.t.Fatalf("%s: no answer within 60s", method)
	}
	return nil
}

// eval evaluates a script in the page and decodes its value into v.
func (b *browser) eval(script string, v any) {
	b.t.Helper()
	res := b.call("Runtime.evaluate", map[string]any{"expression": script, "returnByValue": true, "awaitPromise": true})
	var r struct {
		Result struct {
			Value json.RawMessage
		}
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	if err := json.Unmarshal(res, &r); err != nil {
		b.t.Fatal(err)
	}
	if r.ExceptionDetails != nil {
		b.t.Fatalf("evaluating %q: %s %s", script, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if v != nil {
		if err := json.Unmarshal(r.Result.Value, v); err != nil {
			b.t.Fatalf("evaluating %q: %v (value %s)", script, err, r.Result.Value)
		}
	}
}

// open navigates to a file and waits until the report says it is ready;
// it returns how long that took.
func (b *browser) open(path string, timeout time.Duration) time.Duration {
	b.t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		b.t.Fatal(err)
	}
	start := time.Now()
	b.call("Page.navigate", map[string]any{"url": "file://" + abs})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		var ready bool
		b.eval(`!!(window.netaudit && window.netaudit.ready)`, &ready)
		if ready {
			return time.Since(start)
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("the report was not ready within %v", timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// click presses and releases the left button at a point of the viewport.
func (b *browser) click(x, y float64) {
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		b.call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": x, "y": y, "button": "left", "clickCount": 1})
	}
}

// screenshot saves the page as a PNG.
func (b *browser) screenshot(path string) {
	b.t.Helper()
	res := b.call("Page.captureScreenshot", map[string]any{"format": "png"})
	var r struct{ Data []byte }
	if err := json.Unmarshal(res, &r); err != nil {
		b.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, r.Data, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) errorsAndRequests() ([]string, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.consoleErrors...), append([]string(nil), b.requests...)
}

func (b *browser) close() {
	if b.ws != nil {
		_ = b.ws.Close()
	}
	if b.targetID != "" {
		_ = devtoolsJSON(http.MethodGet, "http://"+shared.host+"/json/close/"+b.targetID, nil)
	}
}
