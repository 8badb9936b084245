package oci

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// guardTransport refuses plain HTTP to any host but localhost and loopback
// addresses unless insecure registries are allowed. go-containerregistry
// would also fall back to HTTP for private (RFC 1918) addresses; a CI network
// is not trusted that far.
type guardTransport struct {
	next     http.RoundTripper
	insecure bool
}

func (t *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !t.insecure && !isLoopbackHost(req.URL.Hostname()) {
		return nil, fmt.Errorf("refusing plain HTTP to %s: use --allow-insecure-registry to allow it", req.URL.Host)
	}
	return t.next.RoundTrip(req)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// retryTransport retries requests that failed for reasons that may pass:
// network errors, 429 and 5xx answers. It backs off exponentially with
// jitter and honours Retry-After; when the registry asks to wait longer than
// the largest backoff, it gives up and returns the registry's answer.
type retryTransport struct {
	next http.RoundTripper
	cfg  *clientConfig
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.next.RoundTrip(r)
		if attempt >= t.cfg.retries || !retryable(req, resp, err) {
			return resp, err
		}
		wait := t.cfg.backoff << attempt
		wait += time.Duration(rand.Int64N(int64(wait)/4 + 1))
		if wait > t.cfg.maxBackoff {
			wait = t.cfg.maxBackoff
		}
		if resp != nil {
			if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				if ra > t.cfg.maxBackoff {
					return resp, nil
				}
				if ra > wait {
					wait = ra
				}
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		why := "network error"
		if resp != nil {
			why = resp.Status
		}
		t.cfg.logger.Warn("retrying registry request", "method", req.Method, "url", redactURL(req.URL.String()), "reason", why, "wait", wait, "attempt", attempt+1)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

func retryable(req *http.Request, resp *http.Response, err error) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false // a streamed body cannot be sent twice
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return false
		}
		return !deterministic(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// deterministic reports whether a transport error will happen again however
// often the request is sent: TLS spoken to a plain-HTTP server, or a
// certificate that does not verify.
func deterministic(err error) bool {
	var (
		rh tls.RecordHeaderError
		ue x509.UnknownAuthorityError
		he x509.HostnameError
		ce x509.CertificateInvalidError
		ve *tls.CertificateVerificationError
	)
	return errors.As(err, &rh) || errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) || errors.As(err, &ve) ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		// Clamp before multiplying: a huge value must mean "long", never
		// wrap around to a negative wait.
		const maxWait = 365 * 24 * 60 * 60
		if s > maxWait {
			s = maxWait
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

var userinfo = regexp.MustCompile(`//[^/@]*@`)

// redactURL removes credentials from a URL before it is logged.
func redactURL(u string) string { return userinfo.ReplaceAllString(u, "//REDACTED@") }

// pingCache answers go-containerregistry's GET /v2/ pings from memory after
// the first answer per registry. The ping only tells the auth challenge, which
// does not change during a run, and go-containerregistry pings once per
// repository: for many images this saves one request each.
type pingCache struct {
	next http.RoundTripper
	mu   sync.Mutex
	m    map[string]*pingEntry
}

type pingEntry struct {
	done   chan struct{}
	ok     bool
	err    error // a deterministic failure, answered again without a request
	status int
	proto  string
	header http.Header
	body   []byte
}

func (p *pingCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/v2/" {
		return p.next.RoundTrip(req)
	}
	key := req.URL.Scheme + "://" + req.URL.Host
	p.mu.Lock()
	if p.m == nil {
		p.m = map[string]*pingEntry{}
	}
	e, found := p.m[key]
	if !found {
		e = &pingEntry{done: make(chan struct{})}
		p.m[key] = e
	}
	p.mu.Unlock()
	if found {
		select {
		case <-e.done:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		if e.ok {
			return e.response(req), nil
		}
		if e.err != nil {
			return nil, e.err
		}
		return p.next.RoundTrip(req)
	}
	resp, err := p.next.RoundTrip(req)
	if err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized) {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if rerr == nil {
			e.ok, e.status, e.proto, e.header, e.body = true, resp.StatusCode, resp.Proto, resp.Header.Clone(), body
			close(e.done)
			return e.response(req), nil
		}
		err = rerr
		resp = nil
	}
	if err != nil && deterministic(err) {
		e.err = err
		close(e.done)
		return nil, err
	}
	// Not cacheable: let the next ping try again.
	p.mu.Lock()
	delete(p.m, key)
	p.mu.Unlock()
	close(e.done)
	return resp, err
}

func (e *pingEntry) response(req *http.Request) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(e.status) + " " + http.StatusText(e.status),
		StatusCode:    e.status,
		Proto:         e.proto,
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        e.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       req,
	}
}

// registryMemo remembers, per registry host, what a run has learnt about it.
type registryMemo struct {
	mu        sync.Mutex
	referrers map[string]bool          // host -> supports the referrers API
	probes    map[string]chan struct{} // host -> closed when its first probe ends
}

func newRegistryMemo() *registryMemo {
	return &registryMemo{referrers: map[string]bool{}, probes: map[string]chan struct{}{}}
}

// probe makes one caller per host the one that learns whether the referrers
// API exists; the others wait for it. It returns release, to be called once
// the prober's request has ended (nil for callers that waited).
func (m *registryMemo) probe(ctx context.Context, host string) (release func(), err error) {
	m.mu.Lock()
	if _, known := m.referrers[host]; known {
		m.mu.Unlock()
		return nil, nil
	}
	ch, waiting := m.probes[host]
	if !waiting {
		ch = make(chan struct{})
		m.probes[host] = ch
		m.mu.Unlock()
		var once sync.Once
		return func() {
			once.Do(func() {
				m.mu.Lock()
				delete(m.probes, host)
				m.mu.Unlock()
				close(ch)
			})
		}, nil
	}
	m.mu.Unlock()
	select {
	case <-ch:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// referrersAPI reports whether the registry is known to support the referrers
// API (supported) and whether anything is known at all (known).
func (m *registryMemo) referrersAPI(host string) (supported, known bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	supported, known = m.referrers[host]
	return
}

func (m *registryMemo) setReferrersAPI(host string, supported bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.referrers[host] = supported
}

var referrersPath = regexp.MustCompile(`^/v2/.+/referrers/[a-z0-9]+:[a-f0-9]+$`)

// observeTransport learns from answers to referrers API requests whether a
// registry supports the API, so that later images in the same run go straight
// to the fallback tag.
type observeTransport struct {
	next http.RoundTripper
	memo *registryMemo
}

func (t *observeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !referrersPath.MatchString(req.URL.Path) {
		return resp, err
	}
	switch {
	case resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/vnd.oci.image.index.v1+json"):
		t.memo.setReferrersAPI(req.URL.Host, true)
	case resp.StatusCode == http.StatusOK, resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusBadRequest, resp.StatusCode == http.StatusNotAcceptable:
		t.memo.setReferrersAPI(req.URL.Host, false)
	}
	return resp, err
}
