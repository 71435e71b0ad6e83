package cloud

import (
	"context"
	"crypto/subtle"
	"net/http"
	"time"

	"github.com/callplan/callplan/twilio"
)

// callbackTokenParam is the query parameter carrying the node's token.
const callbackTokenParam = "callplan_token"

// callbackFetchTimeout bounds the fetch that completes a final callback.
const callbackFetchTimeout = 10 * time.Second

// CallbackHandler receives the API's status callbacks for this node's
// calls (serve it where Config.CallbackURL points). A request without the
// node's token is refused (403); one about a call of another run is
// acknowledged and ignored. A final status is completed by one fetch of
// the call, for the API's start, end and duration, which a callback does
// not carry.
func (n *Node) CallbackHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		tok := r.URL.Query().Get(callbackTokenParam)
		if n.token == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(n.token)) != 1 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		cb, err := twilio.ParseStatusCallback(r.PostForm)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		received := time.Now()
		// Answer at once: the API waits for us, and the fetch below
		// need not hold it up.
		w.WriteHeader(http.StatusNoContent)
		call := cb.Call()
		if cb.Status.Final() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), callbackFetchTimeout)
			full, err := n.cfg.Client.FetchCall(ctx, cb.SID)
			cancel()
			if err == nil && full.Status.Final() {
				call = *full
			}
		}
		n.observeFrom(call, received, true)
	})
}
