package ldap

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// The directory servers are started once per test binary, on loopback,
// from a temp dir, by the first test that needs them, and stopped by
// TestMain.

var (
	serversMu sync.Mutex
	running   []*server
	tempDirs  []string
)

// server is a started directory server; done closes when it has exited.
type server struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stopServers sends SIGTERM to each server the tests started and waits for
// it; one that has not exited after 15 s is killed with its process group.
func stopServers() {
	serversMu.Lock()
	defer serversMu.Unlock()
	for _, s := range running {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	}
	running = nil
	for _, d := range tempDirs {
		_ = os.RemoveAll(d)
	}
	tempDirs = nil
}

// startCmd starts a server in its own process group and waits for it in
// one goroutine.
func startCmd(cmd *exec.Cmd, after func()) (*server, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		if after != nil {
			after()
		}
		close(s.done)
	}()
	serversMu.Lock()
	running = append(running, s)
	serversMu.Unlock()
	return s, nil
}

func mkTemp(prefix string) (string, error) {
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	serversMu.Lock()
	tempDirs = append(tempDirs, d)
	serversMu.Unlock()
	return d, nil
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitLDAP polls until an anonymous rootDSE read answers, or the process
// exits, or the deadline passes.
func waitLDAP(url string, srv *server, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if srv.exited() {
			return errors.New("the server exited")
		}
		c, err := goldap.DialURL(url, goldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
		if err == nil {
			_, err = c.Search(goldap.NewSearchRequest("", goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
			_ = c.Close()
			if err == nil {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within %s", url, d)
}

// --- OpenLDAP slapd ---------------------------------------------------------

// slapdSuffix is the test directory's suffix; slapdRootDN binds as rootdn.
const (
	slapdSuffix = "dc=example,dc=test"
	slapdRootDN = "cn=admin,dc=example,dc=test"
	slapdRootPW = "secret-slapd"
)

type slapdServer struct {
	url string
	dir string
}

var slapdOnce = sync.OnceValues(func() (*slapdServer, error) { return startSlapd(slapdSeed) })

// useSlapd returns the shared slapd loaded with slapdSeed, or skips.
func useSlapd(t testing.TB) *slapdServer {
	t.Helper()
	if _, err := exec.LookPath("slapd"); err != nil {
		t.Skip("slapd is not installed (apt-get install slapd ldap-utils): skipping the OpenLDAP tests")
	}
	if _, err := exec.LookPath("slapadd"); err != nil {
		t.Skip("slapadd is not installed: skipping the OpenLDAP tests")
	}
	s, err := slapdOnce()
	if err != nil {
		t.Fatalf("starting slapd: %v", err)
	}
	return s
}

// startSlapd writes a slapd.conf, loads seed's LDIF offline with slapadd
// (fast: no overlays, no per-entry round trips) and starts slapd in the
// foreground on a free loopback port.
func startSlapd(seed func(*bytes.Buffer)) (*slapdServer, error) {
	dir, err := mkTemp("ldap-slapd-")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// The rootpw is a test value kept in clear in the temp config.
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
sizelimit 500
database mdb
maxsize 4294967296
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
dbnosync
index objectClass eq
index uid,cn,mail,member,uniqueMember,memberUid eq
index modifyTimestamp,entryUUID eq
limits dn.exact="uid=user0010,ou=people,ou=ro,%[2]s" size.prtotal=500
limits * size.prtotal=unlimited
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
`, dir, slapdSuffix, slapdRootDN, slapdRootPW)
	confFile := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	var ldif bytes.Buffer
	fmt.Fprintf(&ldif, "dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n%s\n", slapdSuffix, oldStamp)
	seed(&ldif)
	add := exec.Command("slapadd", "-q", "-f", confFile, "-b", slapdSuffix)
	add.Stdin = &ldif
	if out, err := add.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("slapadd: %v: %s", err, out)
	}
	url := fmt.Sprintf("ldap://127.0.0.1:%d", port)
	cmd := exec.Command("slapd", "-d", "0", "-f", confFile, "-h", url+"/")
	logFile, err := os.Create(filepath.Join(dir, "slapd.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	srv, err := startCmd(cmd, func() { _ = logFile.Close() })
	if err != nil {
		return nil, err
	}
	if err := waitLDAP(url, srv, 20*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "slapd.log"))
		return nil, fmt.Errorf("slapd: %v: %s", err, tail(log))
	}
	return &slapdServer{url: url, dir: dir}, nil
}

// oldStamp dates bulk-loaded entries in the past, so that a
// modifyTimestamp delta after the load sees only what the tests change.
const oldStamp = "modifyTimestamp: 20260101000000Z\ncreateTimestamp: 20260101000000Z\n"

// admin is a connection bound as the rootdn, for the tests' own changes.
func (s *slapdServer) admin(t testing.TB) *goldap.Conn {
	t.Helper()
	c, err := goldap.DialURL(s.url)
	if err != nil {
		t.Fatalf("dialing slapd: %v", err)
	}
	if err := c.Bind(slapdRootDN, slapdRootPW); err != nil {
		t.Fatalf("binding to slapd: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// config is a connector configuration for a subtree of the test directory.
func (s *slapdServer) config(base string) Config {
	c := Config{
		URL: s.url, InsecurePlaintext: true,
		BindDN: slapdRootDN, BindPassword: secretOf(slapdRootPW),
		Dialect: DialectAuto, BaseDNs: []string{base},
	}.WithDefaults()
	return c
}

// --- Samba AD ---------------------------------------------------------------

const (
	sambaRealm   = "CORP.EXAMPLE.TEST"
	sambaDomain  = "DC=corp,DC=example,DC=test"
	sambaAdmin   = "Administrator@corp.example.test"
	sambaAdminPW = "Passw0rd!Passw0rd"
	sambaHost    = "dc1.corp.example.test"
)

type sambaServer struct {
	dir    string
	caFile string
}

var (
	sambaOnce  = sync.OnceValues(startSamba)
	sambaTried atomic.Bool
	sambaBusy  atomic.Bool
)

// useSamba returns the shared Samba AD DC, or skips.
func useSamba(t testing.TB) *sambaServer {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("Samba AD needs root (its LDAP ports 389/636 are fixed): skipping the Active Directory tests")
	}
	for _, bin := range []string{"samba", "samba-tool"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install samba samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind): skipping the Active Directory tests", bin)
		}
	}
	if _, err := os.Stat("/usr/share/samba/setup/ad-schema"); err != nil {
		t.Skip("samba-ad-provision is not installed: skipping the Active Directory tests")
	}
	if !sambaTried.Swap(true) {
		// One Samba DC per host: its ports are fixed. Test binaries of
		// this package running at once (several go test runs on one
		// machine) take turns.
		if !lockSambaPorts(3 * time.Minute) {
			sambaBusy.Store(true)
		}
		for _, port := range []string{"389", "636"} {
			if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 2*time.Second); err == nil {
				_ = c.Close()
				sambaBusy.Store(true)
			}
		}
	}
	if sambaBusy.Load() {
		t.Skip("another process holds the Samba DC ports (127.0.0.1:389/636) or their lock: skipping the Active Directory tests")
	}
	s, err := sambaOnce()
	if err != nil {
		t.Fatalf("starting Samba AD: %v", err)
	}
	return s
}

// lockSambaPorts takes a host-wide lock on the Samba ports, held until the
// test binary exits.
func lockSambaPorts(wait time.Duration) bool {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "integrator-ldap-samba.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return false
	}
	deadline := time.Now().Add(wait)
	for {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			sambaLock = f // kept open: the lock goes with the process
			return true
		}
		if time.Now().After(deadline) {
			_ = f.Close()
			return false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var sambaLock *os.File

// startSamba provisions a domain in a temp dir (about 3 s) and starts the
// DC in the foreground on 127.0.0.1, with a certificate of a test CA.
func startSamba() (*sambaServer, error) {
	dir, err := mkTemp("ldap-samba-")
	if err != nil {
		return nil, err
	}
	dc := filepath.Join(dir, "dc")
	base := filepath.Join(dir, "base.conf")
	if err := os.WriteFile(base, []byte("[global]\n"), 0o600); err != nil {
		return nil, err
	}
	prov := exec.Command("samba-tool", "domain", "provision", "-q", "-s", base, "--targetdir="+dc,
		"--realm="+sambaRealm, "--domain=CORP", "--server-role=dc", "--dns-backend=NONE",
		"--host-name=dc1", "--host-ip=127.0.0.1", "--adminpass="+sambaAdminPW, "--backend-store=mdb",
		"--option=interfaces = 127.0.0.1", "--option=bind interfaces only = yes",
		"--option=log file = "+dc+"/log/%m.log", "--option=pid directory = "+dc+"/run",
		"--option=ncalrpc dir = "+dc+"/run/ncalrpc", "--option=winbindd socket directory = "+dc+"/run/winbindd",
		"--option=ntp signd socket directory = "+dc+"/ntp_signd",
		"--option=smb passwd file = "+dc+"/private/smbpasswd", "--option=usershare path = "+dc+"/usershares")
	prov.Env = append(os.Environ(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	if out, err := prov.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("samba-tool domain provision: %v: %s", err, tail(out))
	}
	tlsDir := filepath.Join(dc, "private", "testtls")
	caFile, certFile, keyFile, err := writeTestCA(tlsDir, []string{sambaHost, "corp.example.test"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	smbConf := filepath.Join(dc, "etc", "smb.conf")
	conf, err := os.ReadFile(smbConf)
	if err != nil {
		return nil, err
	}
	extra := fmt.Sprintf("[global]\n\tldap server require strong auth = no\n\ttls keyfile = %s\n\ttls certfile = %s\n\ttls cafile = %s\n\tldb:nosync = true\n",
		keyFile, certFile, caFile)
	conf = bytes.Replace(conf, []byte("[global]\n"), []byte(extra), 1)
	conf = replaceLine(conf, "server services", "\tserver services = rpc, ldap, cldap, kdc, drepl, winbindd, ntp_signd, kcc")
	if err := os.WriteFile(smbConf, conf, 0o600); err != nil {
		return nil, err
	}
	for _, d := range []string{"run", "log", "cache"} {
		if err := os.MkdirAll(filepath.Join(dc, d), 0o755); err != nil {
			return nil, err
		}
	}
	logFile, err := os.Create(filepath.Join(dir, "samba.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("samba", "-F", "--debug-stdout", "-s", smbConf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	srv, err := startCmd(cmd, func() { _ = logFile.Close() })
	if err != nil {
		return nil, err
	}
	if err := waitLDAP("ldap://127.0.0.1", srv, 60*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "samba.log"))
		return nil, fmt.Errorf("samba: %v: %s", err, tail(log))
	}
	// The first authenticated bind may come a moment after the anonymous
	// rootDSE read.
	for i := 0; ; i++ {
		c, err := goldap.DialURL("ldap://127.0.0.1")
		if err == nil {
			err = c.Bind(sambaAdmin, sambaAdminPW)
			_ = c.Close()
		}
		if err == nil {
			break
		}
		if i > 100 {
			return nil, fmt.Errorf("binding to samba: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &sambaServer{dir: dir, caFile: caFile}, nil
}

// admin is a connection bound as Administrator, for the tests' changes.
func (s *sambaServer) admin(t testing.TB) *goldap.Conn {
	t.Helper()
	c, err := goldap.DialURL("ldap://127.0.0.1")
	if err != nil {
		t.Fatalf("dialing samba: %v", err)
	}
	if err := c.Bind(sambaAdmin, sambaAdminPW); err != nil {
		t.Fatalf("binding to samba: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// config is a connector configuration over LDAPS with the test CA.
func (s *sambaServer) config(bases ...string) Config {
	return Config{
		URL: "ldaps://127.0.0.1", ServerName: sambaHost, CAFile: s.caFile,
		BindDN: sambaAdmin, BindPassword: secretOf(sambaAdminPW),
		Dialect: DialectAuto, BaseDNs: bases,
	}.WithDefaults()
}

func replaceLine(conf []byte, key, line string) []byte {
	lines := strings.Split(string(conf), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), key+" ") || strings.HasPrefix(strings.TrimSpace(l), key+"=") {
			lines[i] = line
			return []byte(strings.Join(lines, "\n"))
		}
	}
	return bytes.Replace(conf, []byte("[global]\n"), []byte("[global]\n"+line+"\n"), 1)
}

func tail(b []byte) string {
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// writeTestCA writes a CA and a server certificate with SANs (Go refuses
// certificates with a CN only, which is what Samba generates).
func writeTestCA(dir string, names []string, ips []net.IP) (caFile, certFile, keyFile string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", "", err
	}
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", "", err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Integrator test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: names, IPAddresses: ips,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(file, typ string, b []byte) error {
		return os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600)
	}
	if err := write(caFile, "CERTIFICATE", caDER); err != nil {
		return "", "", "", err
	}
	if err := write(certFile, "CERTIFICATE", der); err != nil {
		return "", "", "", err
	}
	if err := write(keyFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)); err != nil {
		return "", "", "", err
	}
	return caFile, certFile, keyFile, nil
}
