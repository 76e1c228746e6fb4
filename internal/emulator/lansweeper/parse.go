package lansweeper

import (
	"fmt"
	"strconv"
	"strings"
)

// The emulator parses the GraphQL documents it is sent, enough to execute
// the subset of the schema it serves: one operation (query shorthand or
// "query Name($var: Type, ...)"), fields with aliases, arguments and
// sub-selections, and the usual literal values. Fragments, directives and
// mutations are refused as the real API would refuse an unknown field.

// field is one selected field.
type field struct {
	alias string
	name  string
	args  map[string]value
	sel   []field
	line  int
}

func (f field) key() string {
	if f.alias != "" {
		return f.alias
	}
	return f.name
}

// value is a literal or a variable reference.
type value struct {
	variable string // set for $var
	v        any    // string, int64, float64, bool, nil, enum, []value, map[string]value
}

// enum is an unquoted enum value (FIRST, NEXT).
type enum string

type parser struct {
	src  string
	pos  int
	line int
}

// syntaxError is a document the emulator cannot parse.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

func parseDocument(src string) (op string, vars map[string]string, sel []field, err error) {
	p := &parser{src: src, line: 1}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*syntaxError)
			if !ok {
				panic(r)
			}
			err = se
		}
	}()
	p.skip()
	vars = map[string]string{}
	if p.peek() != '{' {
		kw := p.name()
		if kw != "query" {
			p.fail("%q operations are not supported, only queries", kw)
		}
		p.skip()
		if p.peek() != '{' && p.peek() != '(' {
			op = p.name()
			p.skip()
		}
		if p.peek() == '(' {
			p.expect('(')
			for p.skip(); p.peek() != ')'; p.skip() {
				p.expect('$')
				n := p.name()
				p.skip()
				p.expect(':')
				p.skip()
				vars[n] = p.typeRef()
				p.skip()
				if p.peek() == '=' {
					p.fail("default values of variables are not supported")
				}
			}
			p.expect(')')
			p.skip()
		}
	}
	sel = p.selectionSet()
	p.skip()
	if p.pos < len(p.src) {
		p.fail("unexpected %q after the operation (one operation per request)", p.src[p.pos:min(p.pos+10, len(p.src))])
	}
	return op, vars, sel, nil
}

func (p *parser) fail(format string, args ...any) {
	panic(&syntaxError{fmt.Sprintf("Syntax Error: line %d: %s", p.line, fmt.Sprintf(format, args...))})
}

// skip passes whitespace, commas and comments.
func (p *parser) skip() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == ',' || c == 0xEF || c == 0xBB || c == 0xBF:
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) expect(c byte) {
	if p.peek() != c {
		if p.pos >= len(p.src) {
			p.fail("expected %q, found the end of the document", c)
		}
		p.fail("expected %q, found %q", c, p.src[p.pos])
	}
	p.pos++
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

func (p *parser) name() string {
	start := p.pos
	for p.pos < len(p.src) && isNameByte(p.src[p.pos], p.pos == start) {
		p.pos++
	}
	if start == p.pos {
		if p.pos >= len(p.src) {
			p.fail("expected a name, found the end of the document")
		}
		p.fail("expected a name, found %q", p.src[p.pos])
	}
	return p.src[start:p.pos]
}

// typeRef reads a variable's type (ID!, [String!]!, Input) as text.
func (p *parser) typeRef() string {
	var b strings.Builder
	if p.peek() == '[' {
		p.pos++
		p.skip()
		b.WriteString("[" + p.typeRef() + "]")
		p.skip()
		p.expect(']')
	} else {
		b.WriteString(p.name())
	}
	p.skip()
	if p.peek() == '!' {
		p.pos++
		b.WriteString("!")
	}
	return b.String()
}

func (p *parser) selectionSet() []field {
	p.expect('{')
	var out []field
	for p.skip(); p.peek() != '}'; p.skip() {
		if p.pos >= len(p.src) {
			p.fail("expected '}', found the end of the document")
		}
		if strings.HasPrefix(p.src[p.pos:], "...") {
			p.fail("fragments are not supported")
		}
		f := field{line: p.line}
		n := p.name()
		p.skip()
		if p.peek() == ':' {
			p.pos++
			p.skip()
			f.alias, n = n, p.name()
			p.skip()
		}
		f.name = n
		if p.peek() == '@' {
			p.fail("directives are not supported")
		}
		if p.peek() == '(' {
			p.pos++
			f.args = map[string]value{}
			for p.skip(); p.peek() != ')'; p.skip() {
				an := p.name()
				p.skip()
				p.expect(':')
				p.skip()
				f.args[an] = p.value()
			}
			p.expect(')')
			p.skip()
		}
		if p.peek() == '{' {
			f.sel = p.selectionSet()
		}
		out = append(out, f)
	}
	p.expect('}')
	if len(out) == 0 {
		p.fail("empty selection set")
	}
	return out
}

func (p *parser) value() value {
	c := p.peek()
	switch {
	case c == '$':
		p.pos++
		return value{variable: p.name()}
	case c == '"':
		return value{v: p.str()}
	case c == '[':
		p.pos++
		var list []value
		for p.skip(); p.peek() != ']'; p.skip() {
			if p.pos >= len(p.src) {
				p.fail("expected ']', found the end of the document")
			}
			list = append(list, p.value())
		}
		p.pos++
		return value{v: list}
	case c == '{':
		p.pos++
		obj := map[string]value{}
		for p.skip(); p.peek() != '}'; p.skip() {
			if p.pos >= len(p.src) {
				p.fail("expected '}', found the end of the document")
			}
			k := p.name()
			p.skip()
			p.expect(':')
			p.skip()
			obj[k] = p.value()
		}
		p.pos++
		return value{v: obj}
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && strings.IndexByte("0123456789.eE+-", p.src[p.pos]) >= 0 {
			p.pos++
		}
		text := p.src[start:p.pos]
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return value{v: n}
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			p.fail("invalid number %q", text)
		}
		return value{v: f}
	case isNameByte(c, true):
		switch n := p.name(); n {
		case "true":
			return value{v: true}
		case "false":
			return value{v: false}
		case "null":
			return value{v: nil}
		default:
			return value{v: enum(n)}
		}
	}
	if p.pos >= len(p.src) {
		p.fail("expected a value, found the end of the document")
	}
	p.fail("expected a value, found %q", c)
	return value{}
}

func (p *parser) str() string {
	p.expect('"')
	var b strings.Builder
	for {
		if p.pos >= len(p.src) || p.src[p.pos] == '\n' {
			p.fail("unterminated string")
		}
		c := p.src[p.pos]
		p.pos++
		switch c {
		case '"':
			return b.String()
		case '\\':
			if p.pos >= len(p.src) {
				p.fail("unterminated string")
			}
			e := p.src[p.pos]
			p.pos++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if p.pos+4 > len(p.src) {
					p.fail("invalid unicode escape")
				}
				r, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
				if err != nil {
					p.fail("invalid unicode escape")
				}
				b.WriteRune(rune(r))
				p.pos += 4
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
}

// resolve substitutes variables in v with the request's JSON variables.
func resolve(v value, vars map[string]any) any {
	if v.variable != "" {
		return vars[v.variable]
	}
	switch x := v.v.(type) {
	case []value:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(e, vars)
		}
		return out
	case map[string]value:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolve(e, vars)
		}
		return out
	case enum:
		return string(x)
	case int64:
		return float64(x)
	}
	return v.v
}
