package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ketenbrug/ketenbrug/connectors/protocol"
)

// signedWriter buffers a response so that its body can be hashed and the
// Ketenbrug-Signature header, which covers status and body, set before
// anything is sent. Bodies too large to buffer go through sendSigned.
type signedWriter struct {
	http.ResponseWriter
	st       *reqState
	a        *api
	buf      bytes.Buffer
	status   int
	streamed bool
}

func (w *signedWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *signedWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(p)
}

// SetReadDeadline and SetWriteDeadline pass an http.ResponseController's
// deadlines on to the connection (a long sync moves them); nothing else of
// the writer beneath is reachable, so nothing can bypass the buffer.
func (w *signedWriter) SetReadDeadline(t time.Time) error {
	return http.NewResponseController(w.ResponseWriter).SetReadDeadline(t)
}

func (w *signedWriter) SetWriteDeadline(t time.Time) error {
	return http.NewResponseController(w.ResponseWriter).SetWriteDeadline(t)
}

// reset drops what a handler wrote before it panicked.
func (w *signedWriter) reset() {
	w.buf.Reset()
	w.status = 0
	h := w.Header()
	for k := range h {
		if k != RequestIDHeader {
			delete(h, k)
		}
	}
}

// sign sets the signature header over status and a body with hash bsh.
func (w *signedWriter) sign(bsh string) {
	tok, err := w.a.cfg.Signer.SignResponse(protocol.ResponseClaims{
		Issuer: w.a.b.ID(), Audience: w.st.aud, IssuedAt: w.a.cfg.Now(),
		Request: w.st.jti, Status: w.status, BodyHash: bsh,
	})
	if err != nil {
		// A response the client cannot verify is still better than none;
		// the SDK refuses it, and the log says why.
		w.a.log.Error("signing response", "request_id", w.st.requestID, "error", err)
		return
	}
	w.Header().Set(protocol.SignatureHeader, tok)
}

// finish signs and sends the buffered response.
func (w *signedWriter) finish() {
	if w.streamed {
		return
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	body := w.buf.Bytes()
	bsh := ""
	if len(body) > 0 {
		bsh = protocol.BodyHash(body)
	}
	w.sign(bsh)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(body)
}

// sendSigned streams a body of known size and hash without buffering it.
func (w *signedWriter) sendSigned(status int, contentType string, size int64, bsh string, body io.Reader) error {
	w.status, w.streamed = status, true
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.sign(bsh)
	w.ResponseWriter.WriteHeader(status)
	_, err := io.Copy(w.ResponseWriter, body)
	return err
}
