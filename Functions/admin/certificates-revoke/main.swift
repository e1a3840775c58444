import Certificates
import Runtime

Function.run(RevokeCertificate.endpoint)
