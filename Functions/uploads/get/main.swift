import Media
import Runtime

Function.run(GetUpload.endpoint)
