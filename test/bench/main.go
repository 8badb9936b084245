// Command bench measures tollgate against cosign on the operations a release
// pipeline runs, over N images behind a registry whose every request costs
// a fixed delay, as a remote registry does:
//
//	go run ./test/bench -tollgate BIN -registry BIN -cosign-v2 BIN -cosign-v3 BIN [-images 20] [-delay 20ms]
//
// It starts the real registry server (distribution v3) on a free 127.0.0.1
// port, puts an in-process proxy in front of it that sleeps -delay before
// forwarding each request (over connections it keeps open, so that it adds
// latency, not connection set-up) and counts requests, pushes 2N small images
// directly to the registry, and then, through the proxy:
//
//   - sign: tollgate signs N images in one invocation; cosign v2 signs the
//     other N in one invocation (each image is signed once, by one tool);
//   - verify: tollgate, cosign v2 and cosign v3 each verify the N images
//     tollgate signed (tollgate's default format, which all three read).
//
// It prints wall time, request count and requests per image for each, the
// ratios tollgate/cosign, and whether the targets are met (wall time at most
// 0.1x cosign's; at most 4 registry requests per verified image). It is a
// measurement: missing a target is reported, not an error. Ratios are from
// one run; -runs K takes the median of K.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func main() {
	tollgate := flag.String("tollgate", "", "tollgate binary")
	registry := flag.String("registry", "", "distribution registry binary")
	cosign2 := flag.String("cosign-v2", "", "cosign v2 binary")
	cosign3 := flag.String("cosign-v3", "", "cosign v3 binary")
	n := flag.Int("images", 20, "images per set")
	delay := flag.Duration("delay", 20*time.Millisecond, "delay added to every registry request")
	runs := flag.Int("runs", 1, "runs per measurement (median reported)")
	verbose := flag.Bool("v", false, "print requests per kind")
	flag.Parse()
	for name, v := range map[string]string{"-tollgate": *tollgate, "-registry": *registry, "-cosign-v2": *cosign2, "-cosign-v3": *cosign3} {
		if v == "" {
			fmt.Fprintf(os.Stderr, "bench: %s is required\n", name)
			os.Exit(2)
		}
	}
	if err := run(*tollgate, *registry, *cosign2, *cosign3, *n, *delay, *runs, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// proxy delays and counts every request to the registry.
type proxy struct {
	delay time.Duration
	total atomic.Int64
	mu    sync.Mutex
	kinds map[string]int
	rp    *httputil.ReverseProxy
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(p.delay)
	p.total.Add(1)
	p.mu.Lock()
	p.kinds[r.Method+" "+kind(r.URL.Path)]++
	p.mu.Unlock()
	p.rp.ServeHTTP(w, r)
}

func (p *proxy) reset() {
	p.total.Store(0)
	p.mu.Lock()
	p.kinds = map[string]int{}
	p.mu.Unlock()
}

func (p *proxy) breakdown() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ks []string
	for k, v := range p.kinds {
		ks = append(ks, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func kind(path string) string {
	switch {
	case path == "/v2/":
		return "ping"
	case strings.Contains(path, "/referrers/"):
		return "referrers"
	case strings.Contains(path, "/manifests/"):
		return "manifest"
	case strings.Contains(path, "/blobs/uploads"):
		return "upload"
	case strings.Contains(path, "/blobs/"):
		return "blob"
	case strings.HasSuffix(path, "/tags/list"):
		return "tags"
	}
	return "other"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type measurement struct {
	op, tool string
	wall     time.Duration
	requests int64
	images   int
	detail   string
}

func run(tollgate, registryBin, cosign2, cosign3 string, n int, delay time.Duration, runs int, verbose bool) error {
	dir, err := os.MkdirTemp("", "tollgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The registry.
	port, err := freePort()
	if err != nil {
		return err
	}
	regAddr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), regAddr)
	if err := os.WriteFile(filepath.Join(dir, "registry.yml"), []byte(cfg), 0o600); err != nil {
		return err
	}
	reg := exec.Command(registryBin, "serve", filepath.Join(dir, "registry.yml"))
	reg.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
	var regLog bytes.Buffer
	reg.Stdout, reg.Stderr = &regLog, &regLog
	if err := reg.Start(); err != nil {
		return err
	}
	defer func() { _ = reg.Process.Kill(); _ = reg.Wait() }()
	if err := waitFor("http://" + regAddr + "/v2/"); err != nil {
		return fmt.Errorf("registry: %v\n%s", err, regLog.String())
	}

	// The proxy.
	target, _ := url.Parse("http://" + regAddr)
	rp := httputil.NewSingleHostReverseProxy(target)
	// Keep a connection to the registry per concurrent request, as a client
	// talking to the registry directly would: http.DefaultTransport keeps two
	// idle connections per host, and a proxy that opened and closed one for
	// every other request would charge concurrent clients for its own churn.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	rp.Transport = tr
	px := &proxy{delay: delay, kinds: map[string]int{}, rp: rp}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: px}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	proxyAddr := ln.Addr().String()

	// The images: set S for tollgate to sign, set C for cosign.
	push := func(set string) ([]string, error) {
		var refs []string
		for i := 0; i < n; i++ {
			img, err := random.Image(512, 1)
			if err != nil {
				return nil, err
			}
			repo := fmt.Sprintf("bench/%s-%02d", set, i)
			ref, err := name.ParseReference(regAddr + "/" + repo + ":v1")
			if err != nil {
				return nil, err
			}
			if err := remote.Write(ref, img); err != nil {
				return nil, err
			}
			refs = append(refs, proxyAddr+"/"+repo+":v1")
		}
		return refs, nil
	}
	setS, err := push("s")
	if err != nil {
		return err
	}
	setC, err := push("c")
	if err != nil {
		return err
	}

	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	env := []string{"HOME=" + home, "DOCKER_CONFIG=" + filepath.Join(home, ".docker"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "TUF_ROOT=" + filepath.Join(home, ".sigstore"), "COSIGN_PASSWORD=bench",
		"PATH=" + os.Getenv("PATH"), "TOLLGATE_CI=none"}
	exe := func(bin string, args ...string) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir, cmd.Env = home, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if err != nil {
			return took, fmt.Errorf("%s %s: %v\n%s", filepath.Base(bin), args[0], err, out.String())
		}
		return took, nil
	}
	if _, err := exe(tollgate, "generate-key-pair"); err != nil {
		return err
	}
	measure := func(op, tool, bin string, args []string, images int) (measurement, error) {
		var walls []time.Duration
		var reqs []int64
		var detail string
		for i := 0; i < runs; i++ {
			px.reset()
			took, err := exe(bin, args...)
			if err != nil {
				return measurement{}, err
			}
			walls = append(walls, took)
			reqs = append(reqs, px.total.Load())
			detail = px.breakdown()
		}
		sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
		sort.Slice(reqs, func(i, j int) bool { return reqs[i] < reqs[j] })
		return measurement{op: op, tool: tool, wall: walls[len(walls)/2], requests: reqs[len(reqs)/2], images: images, detail: detail}, nil
	}

	var ms []measurement
	add := func(m measurement, err error) error {
		if err != nil {
			return err
		}
		ms = append(ms, m)
		return nil
	}
	// Signing runs once per set: each image is signed exactly once.
	if runs > 1 {
		fmt.Println("note: signing is measured once (each image is signed once); -runs applies to verification")
	}
	saved := runs
	runs = 1
	if err := add(measure("sign", "tollgate", tollgate, append([]string{"sign", "--key", "cosign.key"}, setS...), n)); err != nil {
		return err
	}
	if err := add(measure("sign", "cosign-v2", cosign2, append([]string{"sign", "--key", "cosign.key", "--tlog-upload=false", "-y"}, setC...), n)); err != nil {
		return err
	}
	runs = saved
	if err := add(measure("verify", "tollgate", tollgate, append([]string{"verify", "--key", "cosign.pub"}, setS...), n)); err != nil {
		return err
	}
	if err := add(measure("verify", "cosign-v2", cosign2, append([]string{"verify", "--key", "cosign.pub", "--insecure-ignore-tlog"}, setS...), n)); err != nil {
		return err
	}
	if err := add(measure("verify", "cosign-v3", cosign3, append([]string{"verify", "--key", "cosign.pub", "--insecure-ignore-tlog"}, setS...), n)); err != nil {
		return err
	}

	fmt.Printf("tollgate vs cosign: %d images per set, %s added to every registry request, median of %d run(s)\n\n", n, delay, saved)
	fmt.Printf("%-8s %-10s %10s %9s %10s\n", "op", "tool", "wall", "requests", "req/image")
	for _, m := range ms {
		fmt.Printf("%-8s %-10s %10s %9d %10.2f\n", m.op, m.tool, m.wall.Round(time.Millisecond), m.requests, float64(m.requests)/float64(m.images))
		if verbose {
			fmt.Printf("         %s\n", m.detail)
		}
	}
	get := func(op, tool string) measurement {
		for _, m := range ms {
			if m.op == op && m.tool == tool {
				return m
			}
		}
		return measurement{}
	}
	fmt.Println()
	ratio := func(a, b measurement) float64 { return float64(a.wall) / float64(b.wall) }
	sign := ratio(get("sign", "tollgate"), get("sign", "cosign-v2"))
	v2 := ratio(get("verify", "tollgate"), get("verify", "cosign-v2"))
	v3 := ratio(get("verify", "tollgate"), get("verify", "cosign-v3"))
	rpi := float64(get("verify", "tollgate").requests) / float64(n)
	met := func(ok bool) string {
		if ok {
			return "MET"
		}
		return "MISSED"
	}
	fmt.Printf("sign:   tollgate/cosign-v2 wall time = %.3fx  (target <= 0.1x: %s)\n", sign, met(sign <= 0.1))
	fmt.Printf("verify: tollgate/cosign-v2 wall time = %.3fx  (target <= 0.1x: %s)\n", v2, met(v2 <= 0.1))
	fmt.Printf("verify: tollgate/cosign-v3 wall time = %.3fx  (target <= 0.1x: %s)\n", v3, met(v3 <= 0.1))
	fmt.Printf("verify: tollgate requests per image  = %.2f    (target <= 4: %s)\n", rpi, met(rpi <= 4))
	return nil
}

func waitFor(u string) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer: %v", u, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
