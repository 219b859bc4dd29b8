package kafkaio

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/sagaforge/saga/internal/platform/process"
)

// Brokers is where Kafka is and how to speak to it: the bootstrap
// addresses, and TLS and SASL when the cluster asks for them, as managed
// clusters (MSK, Confluent Cloud, Redpanda Cloud) do. Every reader, writer
// and client of this package connects through it.
type Brokers struct {
	Addrs []string
	tls   *tls.Config
	sasl  sasl.Mechanism
	// transport carries TLS and SASL for the writers and the clients;
	// nil uses kafka-go's default (plain) transport and its pool.
	transport *kafka.Transport
}

// Plain is addrs reached in PLAINTEXT, as the embedded broker and compose's
// Kafka serve it.
func Plain(addrs ...string) Brokers { return Brokers{Addrs: addrs} }

// The variables BrokersFromEnv reads, as Kafka's own clients name their
// settings.
const (
	EnvSecurityProtocol = "KAFKA_SECURITY_PROTOCOL" // PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL
	EnvSASLMechanism    = "KAFKA_SASL_MECHANISM"    // PLAIN (default), SCRAM-SHA-256, SCRAM-SHA-512
	EnvSASLUsername     = "KAFKA_SASL_USERNAME"
	EnvSASLPassword     = "KAFKA_SASL_PASSWORD" // or KAFKA_SASL_PASSWORD_FILE
	EnvTLSCAFile        = "KAFKA_TLS_CA_FILE"   // PEM; the system's roots when unset
	EnvTLSCertFile      = "KAFKA_TLS_CERT_FILE" // a client certificate (PEM), with its key:
	EnvTLSKeyFile       = "KAFKA_TLS_KEY_FILE"
)

// BrokersFromEnv is the brokers at addrs (comma-separated), with the
// security the KAFKA_* variables above ask for.
func BrokersFromEnv(addrs string) (Brokers, error) {
	password, err := process.Secret(EnvSASLPassword, "")
	if err != nil {
		return Brokers{}, err
	}
	return Connect(strings.Split(addrs, ","), Security{
		Protocol: os.Getenv(EnvSecurityProtocol), Mechanism: os.Getenv(EnvSASLMechanism),
		Username: os.Getenv(EnvSASLUsername), Password: password,
		CAFile: os.Getenv(EnvTLSCAFile), CertFile: os.Getenv(EnvTLSCertFile), KeyFile: os.Getenv(EnvTLSKeyFile),
	})
}

// PlainEnv is the environment under which BrokersFromEnv speaks PLAINTEXT
// whatever the shell says: the stack's embedded broker is local and plain.
func PlainEnv() []string { return []string{EnvSecurityProtocol + "=PLAINTEXT"} }

// Security is how a client authenticates to Kafka.
type Security struct {
	Protocol, Mechanism, Username, Password string
	CAFile, CertFile, KeyFile               string
}

// Connect is the brokers at addrs, spoken to as sec says.
func Connect(addrs []string, sec Security) (Brokers, error) {
	b := Brokers{Addrs: addrs}
	protocol := strings.ToUpper(sec.Protocol)
	var useTLS, useSASL bool
	switch protocol {
	case "", "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useTLS, useSASL = true, true
	default:
		return Brokers{}, fmt.Errorf("%s %q: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", EnvSecurityProtocol, sec.Protocol)
	}
	if useTLS {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if sec.CAFile != "" {
			pem, err := os.ReadFile(sec.CAFile)
			if err != nil {
				return Brokers{}, fmt.Errorf("%s: %w", EnvTLSCAFile, err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return Brokers{}, fmt.Errorf("%s: %s holds no PEM certificate", EnvTLSCAFile, sec.CAFile)
			}
		}
		if (sec.CertFile == "") != (sec.KeyFile == "") {
			return Brokers{}, fmt.Errorf("%s and %s go together", EnvTLSCertFile, EnvTLSKeyFile)
		}
		if sec.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(sec.CertFile, sec.KeyFile)
			if err != nil {
				return Brokers{}, fmt.Errorf("client certificate: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		b.tls = cfg
	}
	if useSASL {
		if sec.Username == "" || sec.Password == "" {
			return Brokers{}, fmt.Errorf("%s %s needs %s and %s", EnvSecurityProtocol, protocol, EnvSASLUsername, EnvSASLPassword)
		}
		var err error
		switch strings.ToUpper(sec.Mechanism) {
		case "", "PLAIN":
			b.sasl = plain.Mechanism{Username: sec.Username, Password: sec.Password}
		case "SCRAM-SHA-256":
			b.sasl, err = scram.Mechanism(scram.SHA256, sec.Username, sec.Password)
		case "SCRAM-SHA-512":
			b.sasl, err = scram.Mechanism(scram.SHA512, sec.Username, sec.Password)
		default:
			err = fmt.Errorf("%s %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", EnvSASLMechanism, sec.Mechanism)
		}
		if err != nil {
			return Brokers{}, err
		}
	}
	if b.tls != nil || b.sasl != nil {
		b.transport = &kafka.Transport{TLS: b.tls, SASL: b.sasl, DialTimeout: 5 * time.Second}
	}
	return b, nil
}

// String is the addresses, as the settings give them.
func (b Brokers) String() string { return strings.Join(b.Addrs, ",") }

// client is a kafka-go client of the brokers.
func (b Brokers) client() *kafka.Client {
	c := &kafka.Client{Addr: kafka.TCP(b.Addrs...), Timeout: 5 * time.Second}
	if b.transport != nil {
		c.Transport = b.transport
	}
	return c
}

// dialer dials a broker with the brokers' TLS and SASL.
func (b Brokers) dialer() *kafka.Dialer {
	return &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: b.tls, SASLMechanism: b.sasl}
}

// errNoBrokers is a Brokers with no address.
var errNoBrokers = errors.New("no Kafka broker address")
