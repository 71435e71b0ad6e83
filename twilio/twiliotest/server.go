package twiliotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/twilio"
)

// Default credentials of a NewServer with no WithAccount.
const (
	AccountSID = "AC00000000000000000000000000000001"
	AuthToken  = "fake-auth-token-0001"
)

// Server is a fake Twilio-compatible Calls API.
type Server struct {
	// URL is the base URL, for twilio.WithBaseURL.
	URL string

	srv *httptest.Server

	mu        sync.Mutex
	accounts  map[string]string // account SID -> auth token
	keys      map[string]apiKey // key SID -> key
	script    func(to string) Progression
	cps       float64
	lastDial  time.Time
	limit     *bucket
	fails     []failure
	calls     map[string]*call
	order     []string
	requests  []Request
	stats     Stats
	seq       int
	serveTime func() time.Time
	cbClient  *http.Client
	cbWG      sync.WaitGroup
	closed    bool
}

type apiKey struct{ account, secret string }

type failure struct {
	status      int
	createsOnly bool
}

// Request is one request the server received (never its secret).
type Request struct {
	Method string
	Path   string
	User   string // basic-auth user
	Form   url.Values
	Status int // the HTTP status answered
}

// Stats counts what the server did.
type Stats struct {
	Creates      int // calls created
	Rejected     int // creates refused by a Rejected progression
	Fetches      int
	Updates      int // update requests answered 2xx
	Ended        int // calls an update actually ended
	Served429    int
	Served5xx    int
	Unauthorized int
	Callbacks    int // status callbacks posted
}

// Option configures NewServer.
type Option func(*Server)

// WithAccount adds an account and its auth token (replacing the default
// account on first use).
func WithAccount(sid, token string) Option {
	return func(s *Server) {
		if _, def := s.accounts[AccountSID]; def && sid != AccountSID && len(s.accounts) == 1 {
			delete(s.accounts, AccountSID)
		}
		s.accounts[sid] = token
	}
}

// WithAPIKey adds an API key SID and secret for account.
func WithAPIKey(account, keySID, secret string) Option {
	return func(s *Server) { s.keys[keySID] = apiKey{account: account, secret: secret} }
}

// WithScript chooses each call's progression from its To (default: answer
// after 10 ms and stay up until ended).
func WithScript(f func(to string) Progression) Option { return func(s *Server) { s.script = f } }

// WithCPS limits how many calls per second start dialling, as an account's
// CPS does: calls created faster wait in status queued, each one 1/cps
// after the previous.
func WithCPS(cps float64) Option { return func(s *Server) { s.cps = cps } }

// WithRequestLimit answers 429 (error 20429) to requests beyond perSecond
// on average, allowing bursts of up to burst.
func WithRequestLimit(perSecond float64, burst int) Option {
	return func(s *Server) { s.limit = &bucket{rate: perSecond, capacity: float64(burst), tokens: float64(burst)} }
}

// NewServer starts a fake API on 127.0.0.1:0. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		accounts:  map[string]string{AccountSID: AuthToken},
		keys:      map[string]apiKey{},
		calls:     map[string]*call{},
		script:    func(string) Progression { return Answer(10*time.Millisecond, 0) },
		serveTime: time.Now,
		cbClient:  &http.Client{Timeout: 5 * time.Second},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2010-04-01/Accounts/{account}", s.account)
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Calls.json", s.create)
	mux.HandleFunc("GET /2010-04-01/Accounts/{account}/Calls/{call}", s.fetch)
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Calls/{call}", s.update)
	s.srv = httptest.NewServer(s.gate(mux))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down, after disarming pending status callbacks
// and waiting for those in flight.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.calls {
		c.stopCallbacks()
	}
	s.mu.Unlock()
	s.cbWG.Wait()
	s.srv.Close()
}

// FailNext makes the next n requests (after authentication) fail with
// status: 429 answers error 20429, 5xx an internal error.
func (s *Server) FailNext(n, status int) { s.addFails(n, failure{status: status}) }

// FailCreates makes the next n create requests fail with status.
func (s *Server) FailCreates(n, status int) {
	s.addFails(n, failure{status: status, createsOnly: true})
}

func (s *Server) addFails(n int, f failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.fails = append(s.fails, f)
	}
}

// Requests returns every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Calls returns every call created, in creation order, as of now.
func (s *Server) Calls() []CallInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.serveTime()
	out := make([]CallInfo, 0, len(s.order))
	for _, sid := range s.order {
		out = append(out, s.calls[sid].info(now))
	}
	return out
}

// Call returns one call as of now.
func (s *Server) Call(sid string) (CallInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.calls[sid]
	if !ok {
		return CallInfo{}, false
	}
	return c.info(s.serveTime()), true
}

// Live returns the SIDs of the calls not yet over, in creation order.
func (s *Server) Live() []string {
	var live []string
	for _, c := range s.Calls() {
		if !c.Status.Final() {
			live = append(live, c.SID)
		}
	}
	return live
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// gate logs each request, authenticates it, and applies the rate limit and
// injected failures before the API proper sees it.
func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		user, _, _ := r.BasicAuth()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.mu.Lock()
			s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, User: user, Form: r.PostForm, Status: rec.status})
			s.mu.Unlock()
		}()
		if !s.authorized(r) {
			s.count(func(st *Stats) { st.Unauthorized++ })
			rec.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
			writeError(rec, http.StatusUnauthorized, twilio.CodeAuthenticate, "Authenticate")
			return
		}
		if status, ok := s.takeFailure(r); ok {
			switch {
			case status == http.StatusTooManyRequests:
				s.count(func(st *Stats) { st.Served429++ })
				writeError(rec, status, twilio.CodeTooManyRequests, "Too Many Requests")
			case status >= 500:
				s.count(func(st *Stats) { st.Served5xx++ })
				writeError(rec, status, 20500, "Internal Server Error")
			default:
				writeError(rec, status, 0, http.StatusText(status))
			}
			return
		}
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// authorized checks basic auth against the account in the path: its own
// auth token, or one of its API keys.
func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	account := accountOf(r.URL.Path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := s.accounts[user]; ok {
		return user == account && tok == pass
	}
	k, ok := s.keys[user]
	return ok && k.account == account && k.secret == pass
}

// accountOf is the {account} segment of /2010-04-01/Accounts/{account}/...
func accountOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/"+twilio.APIVersion+"/Accounts/")
	if !ok {
		return ""
	}
	acct, _, _ := strings.Cut(rest, "/")
	return strings.TrimSuffix(acct, ".json")
}

// takeFailure consumes an injected failure or a rate-limit refusal.
func (s *Server) takeFailure(r *http.Request) (int, bool) {
	isCreate := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Calls.json")
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.fails {
		if !f.createsOnly || isCreate {
			s.fails = append(s.fails[:i], s.fails[i+1:]...)
			return f.status, true
		}
	}
	if s.limit != nil && !s.limit.take(s.serveTime()) {
		return http.StatusTooManyRequests, true
	}
	return 0, false
}

// writeError answers the API's error body.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	body := map[string]any{"status": status, "message": msg}
	if code != 0 {
		body["code"] = code
		body["more_info"] = fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// bucket is a token bucket: rate tokens a second, at most capacity.
type bucket struct {
	rate, capacity, tokens float64
	last                   time.Time
}

func (b *bucket) take(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
