package datto

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
)

// cursorVersion is the format version of the cursor.
const cursorVersion = 1

// auditData is what a device audit contributes to its record.
type auditData struct {
	Serial       string
	MACs         string
	IPs          string
	Manufacturer string
	Model        string
	CPU          string
	MemoryMB     int64
	// Disks is the JSON array of AttrDisks, "" when the audit had none.
	Disks string
}

// auditCache maps a device UID to the lastAuditDate (epoch milliseconds)
// of its audit and what that audit said. It is the connector's cursor: a
// device whose lastAuditDate has not moved is re-emitted from the cache
// without a new audit request. Losing it costs one audit per device on the
// next run, never data.
type auditCache map[string]cachedAudit

type cachedAudit struct {
	at int64
	auditData
}

// cursorJSON is the stored form: versioned JSON whose audits field is the
// gzip of auditsJSON, base64 encoded. Strings shared by many devices
// (manufacturers, models, processors, disk layouts) are stored once.
type cursorJSON struct {
	V      int    `json:"v"`
	Audits string `json:"audits,omitempty"`
}

type auditsJSON struct {
	Strings []string     `json:"s"`
	Devices []deviceJSON `json:"d"`
}

type deviceJSON struct {
	UID    string `json:"u"`
	At     int64  `json:"a"`
	Serial string `json:"s,omitempty"`
	MACs   string `json:"m,omitempty"`
	IPs    string `json:"i,omitempty"`
	// Indexes into Strings, plus one (0: absent).
	Manufacturer int   `json:"f,omitempty"`
	Model        int   `json:"o,omitempty"`
	CPU          int   `json:"c,omitempty"`
	Disks        int   `json:"k,omitempty"`
	MemoryMB     int64 `json:"r,omitempty"`
}

func parseCursor(s string) (auditCache, error) {
	cache := auditCache{}
	if s == "" {
		return cache, nil
	}
	var c cursorJSON
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return cache, fmt.Errorf("decoding the cursor: %w", err)
	}
	if c.V != cursorVersion {
		return cache, fmt.Errorf("decoding the cursor: unknown version %d", c.V)
	}
	if c.Audits == "" {
		return cache, nil
	}
	raw, err := base64.StdEncoding.DecodeString(c.Audits)
	if err != nil {
		return cache, fmt.Errorf("decoding the cursor's audits: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return cache, fmt.Errorf("decompressing the cursor's audits: %w", err)
	}
	var a auditsJSON
	if err := json.NewDecoder(io.LimitReader(zr, 512<<20)).Decode(&a); err != nil {
		return cache, fmt.Errorf("decoding the cursor's audits: %w", err)
	}
	str := func(i int) string {
		if i < 1 || i > len(a.Strings) {
			return ""
		}
		return a.Strings[i-1]
	}
	for _, d := range a.Devices {
		cache[d.UID] = cachedAudit{at: d.At, auditData: auditData{
			Serial: d.Serial, MACs: d.MACs, IPs: d.IPs, MemoryMB: d.MemoryMB,
			Manufacturer: str(d.Manufacturer), Model: str(d.Model), CPU: str(d.CPU), Disks: str(d.Disks),
		}}
	}
	return cache, nil
}

// String encodes the cache as a cursor, devices in the order given.
func (c auditCache) encode(order []string) (string, error) {
	a := auditsJSON{Devices: make([]deviceJSON, 0, len(order))}
	index := map[string]int{}
	intern := func(s string) int {
		if s == "" {
			return 0
		}
		if i, ok := index[s]; ok {
			return i
		}
		a.Strings = append(a.Strings, s)
		index[s] = len(a.Strings)
		return len(a.Strings)
	}
	for _, uid := range order {
		e, ok := c[uid]
		if !ok {
			continue
		}
		a.Devices = append(a.Devices, deviceJSON{
			UID: uid, At: e.at, Serial: e.Serial, MACs: e.MACs, IPs: e.IPs, MemoryMB: e.MemoryMB,
			Manufacturer: intern(e.Manufacturer), Model: intern(e.Model), CPU: intern(e.CPU), Disks: intern(e.Disks),
		})
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err := json.NewEncoder(zw).Encode(a); err != nil {
		return "", fmt.Errorf("encoding the cursor: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compressing the cursor: %w", err)
	}
	b, err := json.Marshal(cursorJSON{V: cursorVersion, Audits: base64.StdEncoding.EncodeToString(buf.Bytes())})
	if err != nil {
		return "", fmt.Errorf("encoding the cursor: %w", err)
	}
	return string(b), nil
}
