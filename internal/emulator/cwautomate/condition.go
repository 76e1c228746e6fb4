package cwautomate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// clause is one "Field op value" of a condition.
type clause struct {
	field, op string
	num       float64
	isNum     bool
	str       string
	when      time.Time
	isTime    bool
}

var (
	clauseRe = regexp.MustCompile(`(?i)^\s*([A-Za-z][\w.]*)\s*(>=|<=|!=|=|>|<|\beq\b|\blike\b|\bcontains\b)\s*(.+?)\s*$`)
	andRe    = regexp.MustCompile(`(?i)\s+and\s+`)
)

// parseCondition parses the subset of Automate's condition language the
// emulator understands: clauses joined by "and", each optionally in
// parentheses.
func parseCondition(s string) ([]clause, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []clause
	for _, part := range andRe.Split(s, -1) {
		part = strings.TrimSpace(part)
		for strings.HasPrefix(part, "(") && strings.HasSuffix(part, ")") {
			part = strings.TrimSpace(part[1 : len(part)-1])
		}
		part = strings.TrimLeft(part, "(")
		part = strings.TrimRight(part, ")")
		m := clauseRe.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("invalid condition clause %q", part)
		}
		c := clause{field: strings.ToLower(m[1]), op: strings.ToLower(m[2])}
		if c.op == "eq" {
			c.op = "="
		}
		v := m[3]
		switch {
		case len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0]:
			c.str = v[1 : len(v)-1]
			if t, err := parseTime(c.str); err == nil {
				c.when, c.isTime = t, true
			}
		case strings.EqualFold(v, "true") || strings.EqualFold(v, "false"):
			c.str = strings.ToLower(v)
		default:
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				c.num, c.isNum = n, true
			} else if t, err := parseTime(v); err == nil {
				c.when, c.isTime = t, true
			} else {
				return nil, fmt.Errorf("invalid value %q in condition", v)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}

func compare[T int | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c clause) holds(cmp int) bool {
	switch c.op {
	case "=":
		return cmp == 0
	case "!=":
		return cmp != 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	}
	return false
}

// match reports whether the computer satisfies every clause.
func (e *Emulator) match(c *Computer, clauses []clause) (bool, error) {
	for _, cl := range clauses {
		var ok bool
		switch cl.field {
		case "id", "computerid":
			ok = cl.isNum && cl.holds(compare(float64(c.ID), cl.num))
		case "client.id":
			ok = cl.isNum && cl.holds(compare(float64(c.ClientID), cl.num))
		case "location.id":
			ok = cl.isNum && cl.holds(compare(float64(c.LocationID), cl.num))
		case "computername", "status", "type", "operatingsystemname", "serialnumber", "domainname":
			v := map[string]string{
				"computername": c.ComputerName, "status": c.Status, "type": c.Type,
				"operatingsystemname": c.OperatingSystemName, "serialnumber": c.SerialNumber, "domainname": c.DomainName,
			}[cl.field]
			switch cl.op {
			case "like":
				ok = likeMatch(strings.ToLower(v), strings.ToLower(cl.str))
			case "contains":
				ok = strings.Contains(strings.ToLower(v), strings.ToLower(cl.str))
			default:
				ok = cl.holds(compare(strings.ToLower(v), strings.ToLower(cl.str)))
			}
		case "isvirtualmachine":
			ok = cl.holds(compare(fmt.Sprint(c.IsVirtualMachine), cl.str))
		case "remoteagentlastcontact":
			ok = cl.isTime && cl.holds(c.RemoteAgentLastContact.Compare(cl.when))
		default:
			return false, fmt.Errorf("unknown field %q in condition", cl.field)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// likeMatch is SQL LIKE with % and _.
func likeMatch(s, pattern string) bool {
	re := "^" + strings.NewReplacer("%", ".*", "_", ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString(re, s)
	return ok
}
