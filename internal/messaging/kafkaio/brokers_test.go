package kafkaio

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// selfSigned writes a certificate for 127.0.0.1 and returns the server's
// TLS configuration and the certificate's PEM file, for a client to trust.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kafka"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, caFile
}

// A cluster that asks for TLS and SASL, as a managed one does, is written,
// read by a consumer group, and read straight off its partitions, with
// each mechanism managed clusters offer; without the right credentials it
// is not.
func TestBrokersSpeakTLSAndSASLAsManagedClustersAsk(t *testing.T) {
	serverTLS, caFile := selfSigned(t)
	c, err := kfake.NewCluster(kfake.SeedTopics(1, "t"), kfake.TLS(serverTLS), kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plain-user", "plain-pw"), kfake.Superuser("SCRAM-SHA-256", "scram256", "pw-256"),
		kfake.Superuser("SCRAM-SHA-512", "scram512", "pw-512"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addrs := c.ListenAddrs()
	for _, sec := range []Security{
		{Protocol: "SASL_SSL", Mechanism: "PLAIN", Username: "plain-user", Password: "plain-pw", CAFile: caFile},
		{Protocol: "sasl_ssl", Mechanism: "SCRAM-SHA-256", Username: "scram256", Password: "pw-256", CAFile: caFile},
		{Protocol: "SASL_SSL", Mechanism: "SCRAM-SHA-512", Username: "scram512", Password: "pw-512", CAFile: caFile},
	} {
		t.Run(sec.Mechanism, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			b, err := Connect(addrs, sec)
			if err != nil {
				t.Fatal(err)
			}
			w := NewWriter(b)
			defer w.Close()
			if err := w.WriteMessages(ctx, kafka.Message{Topic: "t", Key: []byte(sec.Mechanism), Value: []byte("v")}); err != nil {
				t.Fatalf("write: %v", err)
			}
			msgs, err := ReadTopic(ctx, b, "t")
			if err != nil || len(msgs) == 0 || string(msgs[len(msgs)-1].Key) != sec.Mechanism {
				t.Fatalf("read off the partition: %d messages, %v", len(msgs), err)
			}
			r := NewGroupReader(b, "g-"+sec.Mechanism, []string{"t"}, 0)
			defer r.Close()
			if m, err := r.FetchMessage(ctx); err != nil || len(m.Value) == 0 {
				t.Fatalf("read as a group: %v", err)
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name, sec := range map[string]Security{
		"wrong password": {Protocol: "SASL_SSL", Mechanism: "SCRAM-SHA-256", Username: "scram256", Password: "nope", CAFile: caFile},
		"untrusted":      {Protocol: "SASL_SSL", Mechanism: "PLAIN", Username: "plain-user", Password: "plain-pw"},
		"plaintext":      {},
	} {
		b, err := Connect(addrs, sec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Ends(ctx, b, []string{"t"}); err == nil {
			t.Errorf("%s: read the cluster's metadata", name)
		}
	}
}

// Settings that cannot work are refused with what to set.
func TestBadKafkaSecuritySettingsAreRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		sec  Security
		says string
	}{
		"protocol":      {Security{Protocol: "SASL_TLS"}, "want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"},
		"mechanism":     {Security{Protocol: "SASL_PLAINTEXT", Mechanism: "GSSAPI", Username: "u", Password: "p"}, "want PLAIN, SCRAM-SHA-256"},
		"no password":   {Security{Protocol: "SASL_SSL", Username: "u"}, EnvSASLPassword},
		"missing CA":    {Security{Protocol: "SSL", CAFile: "/nonexistent.pem"}, EnvTLSCAFile},
		"cert, no key":  {Security{Protocol: "SSL", CertFile: "c.pem"}, "go together"},
		"CA is no cert": {Security{Protocol: "SSL", CAFile: os.DevNull}, "no PEM certificate"},
	} {
		if _, err := Connect([]string{"127.0.0.1:9092"}, tc.sec); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.says)
		}
	}
}
