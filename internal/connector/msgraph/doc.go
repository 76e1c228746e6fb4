// Package msgraph holds what every connector reading Microsoft Graph with
// an app registration shares: the credentials block of its configuration
// (tenant, client, secret or certificate, authority, token and Graph URLs),
// the client credentials token cache, an authorised GET that renews a
// refused token once, the Graph error body, and the streaming decoder of
// collection pages. The entra and intune connectors use it; it never
// imports a connector.
package msgraph
