// Package cwautomate is a local emulator of the ConnectWise Automate REST
// API (/cwa/api/v1) as a device inventory sync uses it.
//
// What it serves:
//
//   - POST /cwa/api/v1/apitoken: JSON {"UserName","Password",
//     "TwoFactorPasscode"} with a ClientId header (required since Automate
//     2020.11) → {"AccessToken","TokenType","ExpirationDate",
//     "AbsoluteExpirationDate","IsTwoFactorRequired","UserId"}. A user
//     with two-factor authentication and no passcode gets
//     IsTwoFactorRequired true and no token. Tokens live an hour.
//   - POST /cwa/api/v1/apitoken/refresh: the current token as a JSON
//     string → a new token.
//   - GET /cwa/api/v1/DatabaseServerTime: the server time as a JSON string.
//   - GET /cwa/api/v1/clients, /locations and /computers: bare JSON arrays,
//     page (from 1) and pageSize, an empty array past the end; orderBy
//     ("Id asc", "ComputerName desc", ...) and condition, of which the
//     emulator understands clauses "Field op value" joined by "and" (ops =,
//     eq, !=, >, >=, <, <=, like, contains; values numbers, quoted strings,
//     true/false, ISO dates) — enough for filters and keyset paging on Id.
//
// Every API call needs "Authorization: Bearer <token>" and the ClientId
// header. Errors use ASP.NET Web API's body {"Message": "..."}: 401
// "Authorization has been denied for this request." for a missing or
// expired token, 400 for a bad parameter or condition. Throttling is not
// documented for Automate (a server the MSP runs or ConnectWise hosts); the
// emulator can answer 429 with Retry-After over Options.RateLimit.
// Timestamps are written without a zone, as Automate writes the server's
// local time; Options.Location sets that zone.
//
// Not a public API: the emulator exists for this module's tests, benchmarks
// and demo.
package cwautomate
