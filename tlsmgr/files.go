package tlsmgr

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"os"
	"time"
)

type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

func statFiles(certFile, keyFile string) (fileStamp, error) {
	var s fileStamp
	ci, err := os.Stat(certFile)
	if err != nil {
		return s, fmt.Errorf("tlsmgr: certificate file %s: %w", certFile, err)
	}
	ki, err := os.Stat(keyFile)
	if err != nil {
		return s, fmt.Errorf("tlsmgr: key file %s: %w", keyFile, err)
	}
	return fileStamp{certMod: ci.ModTime(), keyMod: ki.ModTime(), certSize: ci.Size(), keySize: ki.Size()}, nil
}

// loadKeyPairFiles reads a PEM certificate (chain) and key, with errors
// that name the offending file.
func loadKeyPairFiles(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("tlsmgr: reading certificate file %s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("tlsmgr: reading key file %s: %w", keyFile, err)
	}
	if !hasPEMBlock(certPEM, func(t string) bool { return t == "CERTIFICATE" }) {
		return nil, fmt.Errorf("tlsmgr: certificate file %s: no PEM CERTIFICATE block found", certFile)
	}
	if !hasPEMBlock(keyPEM, func(t string) bool { return t == "PRIVATE KEY" || bytes.HasSuffix([]byte(t), []byte(" PRIVATE KEY")) }) {
		return nil, fmt.Errorf("tlsmgr: key file %s: no PEM PRIVATE KEY block found", keyFile)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tlsmgr: certificate file %s / key file %s: %w", certFile, keyFile, err)
	}
	return &c, nil
}

func hasPEMBlock(data []byte, ok func(string) bool) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if ok(b.Type) {
			return true
		}
	}
}

func (m *Manager) loadFiles() error {
	st, err := statFiles(m.cfg.CertFile, m.cfg.KeyFile)
	if err != nil {
		return err
	}
	c, err := loadKeyPairFiles(m.cfg.CertFile, m.cfg.KeyFile)
	if err != nil {
		return err
	}
	if time.Now().After(c.Leaf.NotAfter) {
		m.log.Warn("certificate file is expired", "file", m.cfg.CertFile, "not_after", c.Leaf.NotAfter)
	}
	m.cert.Store(c)
	m.mu.Lock()
	m.files = st
	m.lastErr[""] = ""
	m.mu.Unlock()
	return nil
}

// reloadFilesIfChanged reloads the pair when either file changed on disk;
// on failure it keeps serving the previous certificate and reports the
// error in Status.
func (m *Manager) reloadFilesIfChanged() {
	st, err := statFiles(m.cfg.CertFile, m.cfg.KeyFile)
	m.mu.Lock()
	same := err == nil && st == m.files
	m.mu.Unlock()
	if same {
		return
	}
	if err == nil {
		err = m.loadFiles()
	}
	if err != nil {
		m.mu.Lock()
		changed := m.lastErr[""] != err.Error()
		m.lastErr[""] = err.Error()
		m.mu.Unlock()
		if changed {
			m.log.Error("reloading certificate files; still serving the previous certificate", "err", err)
		}
		return
	}
	c := m.cert.Load()
	m.log.Info("reloaded certificate files", "cert", m.cfg.CertFile, "names", certNames(c.Leaf), "not_after", c.Leaf.NotAfter)
}
