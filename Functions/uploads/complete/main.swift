import Media
import Runtime

Function.run(CompleteUpload.endpoint)
