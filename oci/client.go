package oci

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Limits bound what the client reads from a registry. Every field has a
// default (see DefaultLimits); going over a limit is an error.
type Limits struct {
	// MaxSignatures is the most signatures read for one image: the layers of
	// its sha256-<hex>.sig image plus its signature bundles.
	MaxSignatures int
	// MaxReferrers is the most referrers (of any kind) listed for one image.
	MaxReferrers int
	// MaxManifestBytes is the largest manifest or index read.
	MaxManifestBytes int64
	// MaxPayloadBytes is the largest signature payload or bundle read.
	MaxPayloadBytes int64
	// MaxAttestations is the most attestations read for one image: the
	// layers of its sha256-<hex>.att image plus its attestation bundles.
	MaxAttestations int
	// MaxAttestationBytes is the largest attestation (DSSE envelope or
	// bundle) read.
	MaxAttestationBytes int64
	// MaxTotalBytes bounds all payloads, bundles and attestations read for
	// one image together.
	MaxTotalBytes int64
}

// DefaultLimits are the limits a client has unless told otherwise.
var DefaultLimits = Limits{
	MaxSignatures:    100,
	MaxReferrers:     1000,
	MaxManifestBytes: 4 << 20,
	MaxPayloadBytes:  1 << 20,

	MaxAttestations:     50,
	MaxAttestationBytes: 32 << 20,
	MaxTotalBytes:       128 << 20,
}

// Option configures NewClient.
type Option func(*clientConfig) error

type clientConfig struct {
	keychain       authn.Keychain
	auth           authn.Authenticator
	insecure       bool
	allowHTTP      bool
	caFile         string
	transport      http.RoundTripper
	limits         Limits
	retries        int
	backoff        time.Duration
	maxBackoff     time.Duration
	requestTimeout time.Duration
	userAgent      string
	logger         *slog.Logger
	nameOpts       []name.Option
	jobs           int
}

// WithKeychain sets where registry credentials come from (default:
// DefaultKeychain: docker's config.json and credential helpers, and a
// mounted .dockerconfigjson).
func WithKeychain(k authn.Keychain) Option {
	return func(c *clientConfig) error { c.keychain = k; return nil }
}

// WithBasicAuth uses username and password for every registry, instead of
// the keychain.
func WithBasicAuth(username, password string) Option {
	return func(c *clientConfig) error {
		if username == "" {
			return errors.New("registry username is empty")
		}
		c.auth = &authn.Basic{Username: username, Password: password}
		return nil
	}
}

// WithInsecure allows plain HTTP and unverified TLS for every registry.
// Without it, plain HTTP is used only for localhost and loopback addresses.
func WithInsecure(insecure bool) Option {
	return func(c *clientConfig) error { c.insecure = insecure; return nil }
}

// WithAllowHTTP allows plain HTTP to every registry; TLS, where used, is still
// verified.
func WithAllowHTTP(allow bool) Option {
	return func(c *clientConfig) error { c.allowHTTP = allow; return nil }
}

// WithCACertFile adds the PEM CA certificates in path to the roots that
// registry TLS certificates are verified with.
func WithCACertFile(path string) Option {
	return func(c *clientConfig) error { c.caFile = path; return nil }
}

// WithTransport sets the base HTTP transport (tests, proxies).
func WithTransport(rt http.RoundTripper) Option {
	return func(c *clientConfig) error { c.transport = rt; return nil }
}

// WithLimits replaces the default limits. Zero fields keep their default.
func WithLimits(l Limits) Option {
	return func(c *clientConfig) error {
		if l.MaxSignatures < 0 || l.MaxReferrers < 0 || l.MaxManifestBytes < 0 || l.MaxPayloadBytes < 0 ||
			l.MaxAttestations < 0 || l.MaxAttestationBytes < 0 || l.MaxTotalBytes < 0 {
			return errors.New("limits must not be negative")
		}
		if l.MaxAttestations > 0 {
			c.limits.MaxAttestations = l.MaxAttestations
		}
		if l.MaxAttestationBytes > 0 {
			c.limits.MaxAttestationBytes = l.MaxAttestationBytes
		}
		if l.MaxTotalBytes > 0 {
			c.limits.MaxTotalBytes = l.MaxTotalBytes
		}
		if l.MaxSignatures > 0 {
			c.limits.MaxSignatures = l.MaxSignatures
		}
		if l.MaxReferrers > 0 {
			c.limits.MaxReferrers = l.MaxReferrers
		}
		if l.MaxManifestBytes > 0 {
			c.limits.MaxManifestBytes = l.MaxManifestBytes
		}
		if l.MaxPayloadBytes > 0 {
			c.limits.MaxPayloadBytes = l.MaxPayloadBytes
		}
		return nil
	}
}

// WithRetry sets how often a failed request is retried (429, 5xx, network
// errors) and the first and largest backoff between attempts. A Retry-After
// header is honoured up to maxBackoff.
func WithRetry(retries int, backoff, maxBackoff time.Duration) Option {
	return func(c *clientConfig) error {
		if retries < 0 || backoff < 0 || maxBackoff < backoff {
			return fmt.Errorf("invalid retry settings: %d retries, backoff %s, max %s", retries, backoff, maxBackoff)
		}
		c.retries, c.backoff, c.maxBackoff = retries, backoff, maxBackoff
		return nil
	}
}

// WithRequestTimeout bounds each HTTP request (connect to last byte of the
// response headers). The whole operation is bounded by the context.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *clientConfig) error {
		if d <= 0 {
			return errors.New("request timeout must be positive")
		}
		c.requestTimeout = d
		return nil
	}
}

// WithUserAgent sets the User-Agent sent to registries.
func WithUserAgent(ua string) Option {
	return func(c *clientConfig) error { c.userAgent = ua; return nil }
}

// WithLogger sets where retries and warnings are reported (default: nowhere).
func WithLogger(l *slog.Logger) Option {
	return func(c *clientConfig) error { c.logger = l; return nil }
}

// WithJobs bounds the requests one operation makes concurrently (default 8).
func WithJobs(n int) Option {
	return func(c *clientConfig) error {
		if n < 1 {
			return errors.New("jobs must be at least 1")
		}
		c.jobs = n
		return nil
	}
}

// Client reads and writes images and their signatures.
type Client struct {
	cfg    clientConfig
	rt     http.RoundTripper
	puller *remote.Puller
	// apiPuller reads the referrers API without go-containerregistry's
	// sequential fallback to the tag, so the two can be read at once.
	apiPuller *remote.Puller
	pusher    *remote.Pusher
	registry  *registryMemo
}

// NewClient returns a Client. It validates every option and fails on
// conflicting or unusable settings (an unreadable CA file, say).
func NewClient(opts ...Option) (*Client, error) {
	c := clientConfig{
		limits:         DefaultLimits,
		retries:        3,
		backoff:        200 * time.Millisecond,
		maxBackoff:     10 * time.Second,
		requestTimeout: 60 * time.Second,
		userAgent:      "tollgate",
		logger:         slog.New(slog.DiscardHandler),
		jobs:           8,
	}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	if c.auth != nil && c.keychain != nil {
		return nil, errors.New("both basic auth and a keychain were given")
	}
	if c.keychain == nil {
		c.keychain = DefaultKeychain
	}
	base := c.transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = 15 * time.Second
		t.ResponseHeaderTimeout = c.requestTimeout
		t.MaxIdleConnsPerHost = 32
		tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.caFile != "" {
			pem, err := os.ReadFile(c.caFile)
			if err != nil {
				return nil, fmt.Errorf("reading registry CA bundle: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("registry CA bundle %s holds no PEM certificate", c.caFile)
			}
			tlsConf.RootCAs = pool
		}
		if c.insecure {
			tlsConf.InsecureSkipVerify = true //nolint:gosec // only with --allow-insecure-registry
		}
		t.TLSClientConfig = tlsConf
		base = t
	}
	memo := newRegistryMemo()
	rt := &guardTransport{
		next:     &retryTransport{next: &pingCache{next: &observeTransport{next: base, memo: memo}}, cfg: &c},
		insecure: c.insecure || c.allowHTTP,
	}
	client := &Client{cfg: c, rt: rt, registry: memo}
	ropts := client.baseRemoteOptions()
	var err error
	if client.puller, err = remote.NewPuller(ropts...); err != nil {
		return nil, fmt.Errorf("creating registry client: %w", err)
	}
	if client.apiPuller, err = remote.NewPuller(append(ropts, remote.WithReferrersTagFallback(false))...); err != nil {
		return nil, fmt.Errorf("creating registry client: %w", err)
	}
	if client.pusher, err = remote.NewPusher(ropts...); err != nil {
		return nil, fmt.Errorf("creating registry client: %w", err)
	}
	return client, nil
}

// Limits returns the limits in force.
func (c *Client) Limits() Limits { return c.cfg.limits }

// NameOptions returns the options references should be parsed with.
func (c *Client) NameOptions() []name.Option {
	if c.cfg.insecure || c.cfg.allowHTTP {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (c *Client) baseRemoteOptions() []remote.Option {
	o := []remote.Option{
		remote.WithTransport(c.rt),
		remote.WithUserAgent(c.cfg.userAgent),
		// Retries happen in retryTransport, where Retry-After is honoured;
		// go-containerregistry's own retries would multiply them.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryStatusCodes(),
		remote.WithJobs(c.cfg.jobs),
	}
	if c.cfg.auth != nil {
		o = append(o, remote.WithAuth(c.cfg.auth))
	} else {
		o = append(o, remote.WithAuthFromKeychain(c.cfg.keychain))
	}
	return o
}
