module github.com/integrator-oss/integrator

go 1.26
