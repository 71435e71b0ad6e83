package sip

// dialogKey finds a call from a request inside its dialog: Call-ID plus our
// own tag. Both legs of a loop call share a Call-ID in one profile; the tag
// tells them apart.
type dialogKey struct{ callID, tag string }

func (p *Profile) register(c *call, in *Inbound, out *Outbound) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.dialogs[c.key()] = c
	if in != nil {
		p.inbound[c] = in
	}
	if out != nil {
		p.outbound[c] = out
	}
	return nil
}

func (p *Profile) forget(c *call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dialogs[c.key()] == c {
		delete(p.dialogs, c.key())
	}
	delete(p.inbound, c)
	delete(p.outbound, c)
}

func (p *Profile) lookup(callID, tag string) *call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dialogs[dialogKey{callID: callID, tag: tag}]
}

// inboundOf and outboundOf find the call of dialog (callID, our tag) and
// its inbound or outbound side in one look; nil when the dialog is unknown
// or is the other side.
func (p *Profile) inboundOf(callID, tag string) *Inbound {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inbound[p.dialogs[dialogKey{callID: callID, tag: tag}]]
}

func (p *Profile) outboundOf(callID, tag string) *Outbound {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outbound[p.dialogs[dialogKey{callID: callID, tag: tag}]]
}
