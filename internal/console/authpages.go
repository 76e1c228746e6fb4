package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/integrator-oss/integrator/internal/auth"
)

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/integrations"
	}
	return next
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, "login", http.StatusOK, page{Title: "Sign in", Data: map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}})
}

func (c *Console) loginSubmit(w http.ResponseWriter, r *http.Request) {
	user := strings.TrimSpace(r.PostFormValue("username"))
	next := safeNext(r.PostFormValue("next"))
	tok, err := c.auth.Login(r.Context(), user, r.PostFormValue("password"), r.RemoteAddr)
	if err != nil {
		status := http.StatusUnauthorized
		var rl *auth.RateLimitedError
		if errors.As(err, &rl) {
			status = http.StatusTooManyRequests
		} else if !errors.Is(err, auth.ErrBadLogin) {
			c.fail(w, r, err)
			return
		}
		c.render(w, r, "login", status, page{Title: "Sign in", Error: err.Error(), Data: map[string]string{"Next": next, "Username": user}})
		return
	}
	http.SetCookie(w, c.auth.SessionCookie(tok))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(auth.CookieName); err == nil {
		_ = c.auth.Logout(r.Context(), ck.Value)
	}
	http.SetCookie(w, c.auth.ClearCookie())
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (c *Console) setupPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	a, err := c.auth.SetupUser(r.Context(), tok)
	if err != nil {
		c.render(w, r, "setup", http.StatusUnauthorized, page{Title: "Set your password", Error: "This setup link is not valid: it was used, has expired or was replaced by a newer one."})
		return
	}
	c.render(w, r, "setup", http.StatusOK, page{Title: "Set your password", Data: map[string]any{"Token": tok, "Username": a.Username, "Min": auth.MinPasswordLen}})
}

func (c *Console) setupSubmit(w http.ResponseWriter, r *http.Request) {
	tok := r.PostFormValue("token")
	pw, again := r.PostFormValue("password"), r.PostFormValue("password2")
	a, err := c.auth.SetupUser(r.Context(), tok)
	if err != nil {
		c.render(w, r, "setup", http.StatusUnauthorized, page{Title: "Set your password", Error: "This setup link is not valid any more."})
		return
	}
	data := map[string]any{"Token": tok, "Username": a.Username, "Min": auth.MinPasswordLen}
	if pw != again {
		c.render(w, r, "setup", http.StatusBadRequest, page{Title: "Set your password", Error: "The two passwords differ.", Data: data})
		return
	}
	sess, err := c.auth.CompleteSetup(r.Context(), tok, pw)
	if err != nil {
		c.render(w, r, "setup", http.StatusBadRequest, page{Title: "Set your password", Error: err.Error(), Data: data})
		return
	}
	http.SetCookie(w, c.auth.SessionCookie(sess))
	redirectFlash(w, r, "/integrations", "Password set. Welcome, "+a.Username+".")
}
