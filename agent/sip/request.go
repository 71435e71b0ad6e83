package sip

import (
	"context"
	"net"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
)

// prepare fills what every request we originate needs: User-Agent, and for
// UDP the listener as the source socket, so the peer sees (and answers to)
// the profile's port as FreeSWITCH's peers do.
func (p *Profile) prepare(req *sipmsg.Request) {
	req.AppendHeader(sipmsg.NewHeader("User-Agent", p.cfg.UserAgent))
	if req.Transport() == "UDP" {
		req.Laddr = sipmsg.Addr{IP: net.IP(p.ip.AsSlice()), Port: p.port}
	}
}

// request sends a non-INVITE request (BYE, CANCEL) and drains its
// transaction in the background: sipgo's transaction blocks delivering
// responses until someone reads them.
func (p *Profile) request(req *sipmsg.Request, opts ...sipgo.ClientRequestOption) {
	p.prepare(req)
	if req.ContentLength() == nil {
		req.SetBody(nil)
	}
	ctx, cancel := context.WithTimeout(p.ctx, sipmsg.Timer_F)
	tx, err := p.cli.TransactionRequest(ctx, req, opts...)
	if err != nil {
		cancel()
		p.log.Debug("sending request failed", "method", req.Method, "call_id", headerValue(req, "Call-ID"), "error", err)
		return
	}
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		defer cancel()
		defer tx.Terminate()
		for {
			select {
			case res := <-tx.Responses():
				if res.IsProvisional() {
					continue
				}
				return
			case <-tx.Done():
				return
			case <-ctx.Done():
				return
			}
		}
	}()
}
