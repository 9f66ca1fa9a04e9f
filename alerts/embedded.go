package alerts

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedServer is an in-process nats-server with JetStream, started when
// no external NATS is configured.
type EmbeddedServer struct {
	cfg  EmbeddedConfig
	node string
	log  *slog.Logger
	srv  *server.Server
	mqtt string
}

// NewEmbeddedServer prepares a server; Start starts it.
func NewEmbeddedServer(cfg EmbeddedConfig, node string, log *slog.Logger) *EmbeddedServer {
	return &EmbeddedServer{cfg: cfg, node: node, log: log}
}

// Start starts the server and waits until it accepts clients.
func (e *EmbeddedServer) Start() error {
	opts := &server.Options{
		ServerName: e.node, // MQTT needs a server name
		Host:       e.cfg.Host,
		Port:       e.cfg.Port,
		JetStream:  true,
		StoreDir:   filepath.Join(e.cfg.StateDir, "jetstream"),
		NoSigs:     true,
	}
	if e.cfg.Port == -1 {
		opts.Port = server.RANDOM_PORT
	}
	if e.cfg.User != "" {
		opts.Users = []*server.User{{Username: e.cfg.User, Password: e.cfg.Password.Value()}}
	}
	if e.cfg.MQTT {
		port := e.cfg.MQTTPort
		if port == -1 {
			p, err := freePort(e.cfg.Host)
			if err != nil {
				return fmt.Errorf("alerts: embedded MQTT listener: %w", err)
			}
			port = p
		}
		opts.MQTT.Host, opts.MQTT.Port = e.cfg.Host, port
		e.mqtt = net.JoinHostPort(e.cfg.Host, strconv.Itoa(port))
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("alerts: embedded NATS server: %w", err)
	}
	srv.SetLoggerV2(serverLogger{e.log}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(15 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("alerts: embedded NATS server on %s:%d did not start (port in use? state dir %s writable?)",
			e.cfg.Host, e.cfg.Port, e.cfg.StateDir)
	}
	e.srv = srv
	e.log.Info("alerts: embedded NATS server running", "url", srv.ClientURL(), "store", opts.StoreDir, "mqtt", e.mqtt)
	return nil
}

// ClientURL is the URL clients connect to.
func (e *EmbeddedServer) ClientURL() string {
	if e.srv == nil {
		return ""
	}
	return e.srv.ClientURL()
}

// MQTTAddr is the MQTT listener's host:port ("" when off).
func (e *EmbeddedServer) MQTTAddr() string { return e.mqtt }

// Shutdown stops the server and waits for it.
func (e *EmbeddedServer) Shutdown() {
	if e.srv == nil {
		return
	}
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// freePort asks the kernel for a free TCP port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverLogger routes nats-server's log into slog; Fatalf logs instead of
// exiting, the failure then surfaces from Start.
type serverLogger struct{ log *slog.Logger }

func (l serverLogger) Noticef(f string, v ...any) {
	l.log.Debug("nats-server: " + fmt.Sprintf(f, v...))
}
func (l serverLogger) Warnf(f string, v ...any)  { l.log.Warn("nats-server: " + fmt.Sprintf(f, v...)) }
func (l serverLogger) Fatalf(f string, v ...any) { l.log.Error("nats-server: " + fmt.Sprintf(f, v...)) }
func (l serverLogger) Errorf(f string, v ...any) { l.log.Error("nats-server: " + fmt.Sprintf(f, v...)) }
func (l serverLogger) Debugf(f string, v ...any) {}
func (l serverLogger) Tracef(f string, v ...any) {}
