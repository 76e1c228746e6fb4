package console_test

import "github.com/integrator-oss/integrator/internal/jobs"

func jobsReq(name string) jobs.RunRequest {
	return jobs.RunRequest{Integration: name, Full: true, Trigger: "api"}
}
